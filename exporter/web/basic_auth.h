#pragma once
// HTTP Basic authentication against the bcrypt hashes of a web config's basic_auth_users.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "exporter/web/address_ledger.h"
#include "exporter/web/bcrypt_gate.h"
#include "exporter/web/bcrypt_verified_cache.h"
#include "logging/logger.h"
#include "model/auth_counts.h"
#include "model/latest.h"

namespace evonic::exporter {

struct BasicCredentials {
  std::string user;
  std::string password;
};

/// Decodes an `Authorization: Basic base64(user:password)` header value; nullopt when the header
/// is not Basic or not valid base64 or has no ':'.
std::optional<BasicCredentials> ParseBasicAuthorization(std::string_view header);

enum class AuthResult {
  kAllowed,
  kNoUsers,           // the config has no basic_auth_users: nobody can be authenticated
  kMissing,           // no Authorization header
  kMalformed,         // not Basic, bad base64, no ':'
  kUnknownUser,       // checked against the dummy hash, then refused
  kWrongPassword,     // a known user, a wrong password
  kBusy,              // every bcrypt slot taken: refused at once, try again
  kAddressBusy,       // this address already has a bcrypt check running: refused at once
  kAddressThrottled,  // this address failed too often lately: refused without bcrypt
};

/// A word for logs: "unknown_user", "wrong_password", ...
const char* AuthResultReason(AuthResult result);

/// Counters since start (for logs, tests and the auth metrics).
using AuthStats = model::AuthCounts;

/// \brief Checks Basic credentials against the current users.
///
/// SetUsers() publishes a new immutable user table (with its own dummy hash and its own cache of
/// successful checks, so a user removed by a reload is not let in from the old cache); Check()
/// runs concurrently with it and with itself, on whichever table was current when it started.
/// An unknown user is checked against a dummy hash of the highest configured cost, so it costs
/// what a known one does. bcrypt runs behind a BcryptGate: when all slots are taken Check()
/// answers kBusy at once. Per client address (AddressLedger) at most one check runs at a time and
/// an address that failed too often lately is refused without bcrypt for a while, so a flood from
/// one address leaves a slot for everyone else and costs at most one core, briefly. Passwords are
/// never logged or stored. The class is thread-safe.
class BasicAuthenticator {
 public:
  struct Options {
    int max_concurrent_bcrypt = 2;
    std::chrono::seconds cache_ttl{60};
    std::size_t cache_capacity = 1024;
    AddressLedger::Options per_address;
  };

  BasicAuthenticator(const Options& options, logging::Logger& log);
  BasicAuthenticator(const BasicAuthenticator&) = delete;
  BasicAuthenticator& operator=(const BasicAuthenticator&) = delete;

  /// Replaces the users (user -> validated bcrypt hash). False (and `error`) only if no dummy
  /// hash could be made; the previous users then stay.
  bool SetUsers(const std::map<std::string, std::string>& users, std::string* error);
  bool HasUsers() const;

  /// `authorization` is the Authorization header value ("" when absent), `client_address` the
  /// peer's address (the per-address accounting's key).
  AuthResult Check(const std::string& authorization, const std::string& client_address);
  /// Seconds a throttled address should wait (Retry-After).
  int RetryAfterSeconds(const std::string& client_address) {
    return addresses_.RetryAfterSeconds(client_address);
  }
  AuthStats Stats() const;

 private:
  struct UserTable;
  // Counts a refusal and logs it at debug level; `bcrypt_against` says which hash was tried
  // ("dummy_hash" for unknown users, "user_hash", or "none"), which is how tests and operators
  // see that unknown names pay the full bcrypt cost.
  AuthResult Count(AuthResult result, const std::string& user, const char* bcrypt_against = "none");

  const Options options_;
  logging::Logger& log_;
  BcryptGate gate_;
  AddressLedger addresses_;
  model::Latest<UserTable> users_;
  struct Counters {
    std::atomic<std::uint64_t> allowed_cached{0}, allowed_bcrypt{0}, missing{0}, malformed{0},
        unknown_user{0}, wrong_password{0}, busy{0}, address_busy{0}, address_throttled{0},
        dummy_hash_checks{0}, no_users{0};
  } counters_;
};

}  // namespace evonic::exporter
