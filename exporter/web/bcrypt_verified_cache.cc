#include "exporter/web/bcrypt_verified_cache.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <stdexcept>

namespace evonic::exporter {

BcryptVerifiedCache::BcryptVerifiedCache(Clock::duration ttl, std::size_t capacity)
    : ttl_(ttl), capacity_(capacity) {
  if (RAND_bytes(hmac_key_.data(), static_cast<int>(hmac_key_.size())) != 1) {
    throw std::runtime_error("no random bytes for the credential cache key");
  }
}

BcryptVerifiedCache::Key BcryptVerifiedCache::KeyOf(const std::string& user,
                                                    const std::string& password) const {
  std::string message = user;
  message.push_back('\0');  // user names cannot contain NUL, so (user, password) is unambiguous
  message += password;
  Key key{};
  unsigned int length = 0;
  HMAC(EVP_sha256(), hmac_key_.data(), static_cast<int>(hmac_key_.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), key.data(), &length);
  std::fill(message.begin(), message.end(), '\0');  // do not leave the password in freed memory
  return key;
}

bool BcryptVerifiedCache::Contains(const std::string& user, const std::string& password,
                                   Clock::time_point now) {
  const Key key = KeyOf(user, password);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = expiry_.find(key);
  if (it == expiry_.end()) return false;
  if (it->second <= now) {
    expiry_.erase(it);
    return false;
  }
  // Sliding: a credential in use stays verified. bcrypt of the same pair against the same
  // (immutable) user table cannot change its answer, and a fixed expiry sent every client of
  // a busy credential to bcrypt at once, where all but two got 429 (seen in the benchmark).
  it->second = now + ttl_;
  return true;
}

void BcryptVerifiedCache::Insert(const std::string& user, const std::string& password,
                                 Clock::time_point now) {
  const Key key = KeyOf(user, password);
  std::lock_guard<std::mutex> lock(mu_);
  if (expiry_.size() >= capacity_ && expiry_.count(key) == 0) {
    for (auto it = expiry_.begin(); it != expiry_.end();) {
      it = it->second <= now ? expiry_.erase(it) : std::next(it);
    }
    if (expiry_.size() >= capacity_) {
      auto oldest =
          std::min_element(expiry_.begin(), expiry_.end(),
                           [](const auto& a, const auto& b) { return a.second < b.second; });
      expiry_.erase(oldest);
    }
  }
  expiry_[key] = now + ttl_;
}

}  // namespace evonic::exporter
