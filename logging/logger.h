#pragma once
// Structured logging: one line per event, logfmt or JSON, as Prometheus exporters write them.

#include <cstdio>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace evonic::logging {

enum class Level { kDebug = 0, kInfo, kWarn, kError };
enum class Format { kLogfmt, kJson };

std::optional<Level> ParseLevel(std::string_view text);
std::optional<Format> ParseFormat(std::string_view text);

using Field = std::pair<std::string_view, std::string>;

/// \brief Writes log lines; lines below the minimum level are dropped. Lines from several threads
/// never interleave. The class is thread-safe. The FILE* is borrowed, not owned.
class Logger {
 public:
  Logger(Level min_level, logging::Format format, std::FILE* out = stderr);
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  void Log(Level level, std::string_view msg, std::initializer_list<Field> fields = {});
  void Debug(std::string_view msg, std::initializer_list<Field> fields = {}) {
    Log(Level::kDebug, msg, fields);
  }
  void Info(std::string_view msg, std::initializer_list<Field> fields = {}) {
    Log(Level::kInfo, msg, fields);
  }
  void Warn(std::string_view msg, std::initializer_list<Field> fields = {}) {
    Log(Level::kWarn, msg, fields);
  }
  void Error(std::string_view msg, std::initializer_list<Field> fields = {}) {
    Log(Level::kError, msg, fields);
  }

  /// Formats one line without writing it (for tests).
  std::string FormatLine(Level level, std::string_view msg,
                         std::initializer_list<Field> fields) const;

 private:
  Level min_level_;
  logging::Format format_;
  std::FILE* out_;
  std::mutex mu_;
};

}  // namespace evonic::logging
