#pragma once
// SANDBOX_MAX_CONTAINERS, Evonic's pool size, from the environment or from `<root>/.env`.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "logging/logger.h"

namespace evonic::collectors {

inline constexpr int kMinMaxContainers = 1;
inline constexpr int kMaxMaxContainers = 100;

/// The value Evonic accepts: a decimal integer in 1..100 (surrounding blanks allowed); else
/// nothing.
std::optional<int> ParseMaxContainers(std::string_view text);

/// \brief Resolves SANDBOX_MAX_CONTAINERS the way Evonic does: the process environment wins, else
/// `<root>/.env`. A value outside 1..100 (or not a number) is ignored with one log line (logged
/// again only if a different bad value appears); an empty environment value counts as unset. The
/// .env file is read again on each Current(), so an edit shows up on the next refresh.
/// Not thread-safe: owned and called by one thread.
class MaxContainersSetting {
 public:
  MaxContainersSetting(std::optional<std::string> environment_value,
                       std::filesystem::path dotenv_path, logging::Logger& logger);

  std::optional<double> Current();

 private:
  void ReportIgnored(const char* source, const std::string& value);

  std::optional<int> environment_;  // a valid environment value, checked once
  std::filesystem::path dotenv_path_;
  logging::Logger& logger_;
  std::optional<std::string> last_ignored_dotenv_value_;
};

}  // namespace evonic::collectors
