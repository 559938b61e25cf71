#pragma once
// Defensive reads of engine JSON: a field that is missing, null, of the wrong type, negative or
// absurd (beyond 2^62, where Docker's "unlimited" sentinels live) reads as absent, never as a
// number that would be wrong.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace evonic::collectors {

/// Values above this are sentinels or corruption, never real counters, bytes or limits.
inline constexpr std::uint64_t kAbsurdValue = std::uint64_t{1} << 62;

/// The member `key` of `object` as a non-negative integer, or absent.
std::optional<std::uint64_t> UintField(const nlohmann::json& object, const char* key);

/// The member `key` of `object` as a signed integer within +-2^62, or absent.
std::optional<std::int64_t> IntField(const nlohmann::json& object, const char* key);

/// The member `key` of `object` as a string, or absent.
std::optional<std::string> StringField(const nlohmann::json& object, const char* key);

/// The member `key` of `object` if it is an object, else nullptr.
const nlohmann::json* ObjectField(const nlohmann::json& object, const char* key);

/// The member `key` of `object` if it is an array, else nullptr.
const nlohmann::json* ArrayField(const nlohmann::json& object, const char* key);

/// Parses RFC 3339 time as Docker writes it ("2026-11-26T04:06:47.30450985Z", or with an offset)
/// into seconds since the Unix epoch. Absent for anything else, and for Go's zero time.
std::optional<double> ParseRfc3339(const std::string& text);

}  // namespace evonic::collectors
