#pragma once
// A Logger writing into memory, for tests that check what was logged.

#include <cstdio>
#include <cstdlib>
#include <string>

#include "logging/logger.h"

namespace evonic::test {

/// A Logger writing into memory; Text() is everything logged so far.
class CapturedLog {
 public:
  explicit CapturedLog(logging::Level level = logging::Level::kDebug)
      : file_(open_memstream(&buffer_, &size_)), logger_(level, logging::Format::kLogfmt, file_) {}
  ~CapturedLog() {
    std::fclose(file_);
    free(buffer_);
  }
  CapturedLog(const CapturedLog&) = delete;
  CapturedLog& operator=(const CapturedLog&) = delete;

  logging::Logger& logger() { return logger_; }
  std::string Text() {
    std::fflush(file_);
    return std::string(buffer_, size_);
  }
  /// Lines at level warn or error.
  int Problems() {
    const std::string text = Text();
    int count = 0;
    for (std::size_t at = 0; (at = text.find(" level=warn ", at)) != std::string::npos; ++at) {
      ++count;
    }
    for (std::size_t at = 0; (at = text.find(" level=error ", at)) != std::string::npos; ++at) {
      ++count;
    }
    return count;
  }
  int Count(const std::string& needle) {
    const std::string text = Text();
    int count = 0;
    for (std::size_t at = 0; (at = text.find(needle, at)) != std::string::npos; ++at) ++count;
    return count;
  }

 private:
  char* buffer_ = nullptr;
  std::size_t size_ = 0;
  std::FILE* file_;
  logging::Logger logger_;
};

}  // namespace evonic::test
