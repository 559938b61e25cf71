#include "exporter/web/bcrypt_hash.h"

#include <crypt.h>
#include <openssl/crypto.h>

#include <cstring>
#include <memory>

namespace evonic::exporter {

namespace {

constexpr std::size_t kBcryptLength = 60;
constexpr std::string_view kBcryptAlphabet =
    "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

}  // namespace

bool IsBcryptHash(std::string_view hash, std::string* why) {
  if (hash.size() < 7 || hash.substr(0, 2) != "$2" ||
      (hash[2] != 'a' && hash[2] != 'b' && hash[2] != 'y') || hash[3] != '$') {
    *why =
        "not a bcrypt hash (expected $2a$, $2b$ or $2y$; make one with evonic-sandbox-exporter "
        "hash-password)";
    return false;
  }
  if (hash.size() != kBcryptLength) {
    *why = "bcrypt hash has " + std::to_string(hash.size()) + " characters, expected 60";
    return false;
  }
  if (hash[4] < '0' || hash[4] > '9' || hash[5] < '0' || hash[5] > '9' || hash[6] != '$') {
    *why = "bcrypt hash has no two-digit cost";
    return false;
  }
  int cost = BcryptCost(hash);
  if (cost < 4 || cost > 31) {
    *why = "bcrypt cost " + std::to_string(cost) + " is outside 04..31";
    return false;
  }
  if (hash.substr(7).find_first_not_of(kBcryptAlphabet) != std::string_view::npos) {
    *why = "bcrypt hash has characters outside its alphabet";
    return false;
  }
  return true;
}

int BcryptCost(std::string_view hash) { return (hash[4] - '0') * 10 + (hash[5] - '0'); }

bool BcryptVerify(const std::string& password, const std::string& hash) {
  // crypt_data is about 32 KiB: on the heap, not on a CivetWeb worker's stack.
  auto data = std::make_unique<crypt_data>();
  const char* out = crypt_r(password.c_str(), hash.c_str(), data.get());
  // libxcrypt returns a string starting with '*' (never a valid hash) on failure.
  if (out == nullptr || out[0] == '*') return false;
  const std::size_t n = std::strlen(out);
  return n == hash.size() && CRYPTO_memcmp(out, hash.data(), n) == 0;
}

std::optional<std::string> BcryptHash(const std::string& password, int cost) {
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  // A null random-bytes argument makes libxcrypt take them from the OS.
  if (crypt_gensalt_rn("$2b$", static_cast<unsigned long>(cost), nullptr, 0, setting,
                       sizeof setting) == nullptr) {
    return std::nullopt;
  }
  auto data = std::make_unique<crypt_data>();
  const char* out = crypt_r(password.c_str(), setting, data.get());
  if (out == nullptr || out[0] == '*') return std::nullopt;
  return std::string(out);
}

}  // namespace evonic::exporter
