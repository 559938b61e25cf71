#pragma once
// What the web server's authentication counted since start, as plain values for rendering.

#include <cstdint>

namespace evonic::model {

struct AuthCounts {
  std::uint64_t allowed_cached = 0;  // accepted without bcrypt (cache hit)
  std::uint64_t allowed_bcrypt = 0;  // accepted after a bcrypt check
  // Failures, by reason.
  std::uint64_t missing = 0;
  std::uint64_t malformed = 0;
  std::uint64_t unknown_user = 0;
  std::uint64_t wrong_password = 0;
  std::uint64_t no_users = 0;
  // Refused for overload, without a bcrypt check, by cause.
  std::uint64_t busy = 0;               // every bcrypt slot taken
  std::uint64_t address_busy = 0;       // the address already has its check running
  std::uint64_t address_throttled = 0;  // the address failed too often lately
  std::uint64_t dummy_hash_checks = 0;  // bcrypt runs against the dummy hash (unknown users)
};

}  // namespace evonic::model
