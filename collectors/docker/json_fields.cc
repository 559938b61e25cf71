#include "collectors/docker/json_fields.h"

#include <cmath>
#include <cstdio>
#include <ctime>

namespace evonic::collectors {

namespace {
const nlohmann::json* Member(const nlohmann::json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}
}  // namespace

std::optional<std::uint64_t> UintField(const nlohmann::json& object, const char* key) {
  const nlohmann::json* v = Member(object, key);
  if (v == nullptr) return std::nullopt;
  if (v->is_number_unsigned()) {
    auto n = v->get<std::uint64_t>();
    if (n > kAbsurdValue) return std::nullopt;
    return n;
  }
  if (v->is_number_integer()) {
    auto n = v->get<std::int64_t>();
    if (n < 0) return std::nullopt;
    return static_cast<std::uint64_t>(n);
  }
  if (v->is_number_float()) {
    double d = v->get<double>();
    if (!std::isfinite(d) || d < 0 || d > static_cast<double>(kAbsurdValue) || d != std::floor(d)) {
      return std::nullopt;
    }
    return static_cast<std::uint64_t>(d);
  }
  return std::nullopt;
}

std::optional<std::int64_t> IntField(const nlohmann::json& object, const char* key) {
  const nlohmann::json* v = Member(object, key);
  if (v == nullptr) return std::nullopt;
  constexpr auto kLimit = static_cast<std::int64_t>(kAbsurdValue);
  if (v->is_number_unsigned()) {
    auto n = v->get<std::uint64_t>();
    if (n > kAbsurdValue) return std::nullopt;
    return static_cast<std::int64_t>(n);
  }
  if (v->is_number_integer()) {
    auto n = v->get<std::int64_t>();
    if (n < -kLimit || n > kLimit) return std::nullopt;
    return n;
  }
  return std::nullopt;
}

std::optional<std::string> StringField(const nlohmann::json& object, const char* key) {
  const nlohmann::json* v = Member(object, key);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return v->get<std::string>();
}

const nlohmann::json* ObjectField(const nlohmann::json& object, const char* key) {
  const nlohmann::json* v = Member(object, key);
  return v != nullptr && v->is_object() ? v : nullptr;
}

const nlohmann::json* ArrayField(const nlohmann::json& object, const char* key) {
  const nlohmann::json* v = Member(object, key);
  return v != nullptr && v->is_array() ? v : nullptr;
}

std::optional<double> ParseRfc3339(const std::string& text) {
  int year, month, day, hour, minute, second, consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &year, &month, &day, &hour, &minute,
                  &second, &consumed) != 6 ||
      consumed != 19) {
    return std::nullopt;
  }
  if (year <= 1 || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 ||
      second > 60) {
    return std::nullopt;  // year 1 is Go's zero time: "never"
  }
  std::size_t pos = 19;
  double fraction = 0;
  if (pos < text.size() && text[pos] == '.') {
    double scale = 0.1;
    ++pos;
    std::size_t digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      fraction += (text[pos] - '0') * scale;
      scale /= 10;
      ++pos;
      ++digits;
    }
    if (digits == 0) return std::nullopt;
  }
  long offset_seconds = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z') && pos + 1 == text.size()) {
    offset_seconds = 0;
  } else if (pos + 6 == text.size() && (text[pos] == '+' || text[pos] == '-') &&
             text[pos + 3] == ':') {
    int oh = 0, om = 0;
    if (std::sscanf(text.c_str() + pos + 1, "%2d:%2d", &oh, &om) != 2) return std::nullopt;
    offset_seconds = (oh * 3600L + om * 60L) * (text[pos] == '-' ? -1 : 1);
  } else {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  std::time_t t = timegm(&tm);
  return static_cast<double>(t - offset_seconds) + fraction;
}

}  // namespace evonic::collectors
