#pragma once
// bcrypt through libxcrypt's crypt_r: the hash format exporter-toolkit's basic_auth_users use.

#include <optional>
#include <string>
#include <string_view>

namespace evonic::exporter {

/// True for a well-formed bcrypt hash: "$2a$", "$2b$" or "$2y$", a two-digit cost 04..31 and 53
/// characters of salt and hash. Otherwise false, and `why` says what is wrong (never echoing the
/// hash, which is a secret of sorts).
bool IsBcryptHash(std::string_view hash, std::string* why);

/// The cost of a well-formed bcrypt hash.
int BcryptCost(std::string_view hash);

/// Whether `password` matches `hash`. Costs one full bcrypt computation (by design: tens of
/// milliseconds at cost 10). Thread-safe: each call has its own crypt_data.
bool BcryptVerify(const std::string& password, const std::string& hash);

/// A fresh "$2b$" hash of `password` at `cost` with a random salt; nullopt if libxcrypt fails.
/// Used for the dummy hash unknown users are checked against, and by tests.
std::optional<std::string> BcryptHash(const std::string& password, int cost);

}  // namespace evonic::exporter
