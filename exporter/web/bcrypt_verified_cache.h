#pragma once
// BcryptVerifiedCache: (user, password) pairs bcrypt accepted a moment ago.

#include <array>
#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <string>

namespace evonic::exporter {

/// \brief Remembers successful bcrypt checks until unused for `ttl` (each hit extends it), so
/// that Prometheus scraping every few seconds costs one bcrypt rather than one per scrape (and a
/// wrong-password flood, which is capped by BcryptGate, cannot lock the scraper out once it is
/// cached).
///
/// Entries are keyed by HMAC-SHA256(user NUL password) under a random key made per instance: the
/// plain password is never stored and the key never leaves the process. Only successes are
/// stored. At most `capacity` entries; when full, expired ones are dropped, then the least recently
/// used. The class is thread-safe (one mutex around a map lookup).
class BcryptVerifiedCache {
 public:
  using Clock = std::chrono::steady_clock;
  BcryptVerifiedCache(Clock::duration ttl, std::size_t capacity);
  BcryptVerifiedCache(const BcryptVerifiedCache&) = delete;
  BcryptVerifiedCache& operator=(const BcryptVerifiedCache&) = delete;

  bool Contains(const std::string& user, const std::string& password, Clock::time_point now);
  void Insert(const std::string& user, const std::string& password, Clock::time_point now);

 private:
  using Key = std::array<unsigned char, 32>;
  Key KeyOf(const std::string& user, const std::string& password) const;

  const Clock::duration ttl_;
  const std::size_t capacity_;
  std::array<unsigned char, 32> hmac_key_{};
  std::mutex mu_;
  std::map<Key, Clock::time_point> expiry_;  // guarded by mu_
};

}  // namespace evonic::exporter
