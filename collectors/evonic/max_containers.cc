#include "collectors/evonic/max_containers.h"

#include <map>
#include <sstream>

#include "collectors/evonic/dotenv.h"
#include "logging/small_file.h"

namespace evonic::collectors {

namespace {

constexpr const char* kKey = "SANDBOX_MAX_CONTAINERS";
// A .env file is a few hundred bytes; anything this large is not one and is not read whole.
std::string_view TrimBlanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// For the log line only: values are settings, not personal data, but keep lines short.
std::string Shortened(const std::string& value) {
  constexpr std::size_t kMax = 40;
  return value.size() <= kMax ? value : value.substr(0, kMax) + "...";
}

}  // namespace

std::optional<int> ParseMaxContainers(std::string_view text) {
  text = TrimBlanks(text);
  if (text.empty() || text.size() > 3) return std::nullopt;
  int value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  if (value < kMinMaxContainers || value > kMaxMaxContainers) return std::nullopt;
  return value;
}

MaxContainersSetting::MaxContainersSetting(std::optional<std::string> environment_value,
                                           std::filesystem::path dotenv_path,
                                           logging::Logger& logger)
    : dotenv_path_(std::move(dotenv_path)), logger_(logger) {
  if (environment_value && !environment_value->empty()) {
    environment_ = ParseMaxContainers(*environment_value);
    if (!environment_) ReportIgnored("environment", *environment_value);
  }
}

std::optional<double> MaxContainersSetting::Current() {
  if (environment_) return *environment_;
  std::string unread;  // a missing (or over 1 MiB) .env holds no setting; Evonic runs without one
  const std::optional<std::string> text = logging::ReadSmallFile(dotenv_path_.string(), &unread);
  if (!text) return std::nullopt;
  const std::map<std::string, std::string> values = ParseDotenv(*text);
  const auto it = values.find(kKey);
  if (it == values.end() || it->second.empty()) return std::nullopt;
  const std::optional<int> parsed = ParseMaxContainers(it->second);
  if (parsed) {
    last_ignored_dotenv_value_.reset();
    return *parsed;
  }
  if (last_ignored_dotenv_value_ != it->second) {
    ReportIgnored(".env", it->second);
    last_ignored_dotenv_value_ = it->second;
  }
  return std::nullopt;
}

void MaxContainersSetting::ReportIgnored(const char* source, const std::string& value) {
  constexpr const char* kMessage =
      "ignoring SANDBOX_MAX_CONTAINERS: Evonic accepts an integer from 1 to 100";
  if (source == std::string_view(".env")) {
    logger_.Warn(
        kMessage,
        {{"source", source}, {"file", dotenv_path_.string()}, {"value", Shortened(value)}});
  } else {
    logger_.Warn(kMessage, {{"source", source}, {"value", Shortened(value)}});
  }
}

}  // namespace evonic::collectors
