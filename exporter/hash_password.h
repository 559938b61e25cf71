#pragma once
// `evonic-sandbox-exporter hash-password [--cost=N]`: the bcrypt hash of a password read from
// standard input, for basic_auth_users in the web config (no htpasswd needed).

#include <cstdio>
#include <string>
#include <vector>

namespace evonic::exporter {

inline constexpr int kDefaultPasswordCost = 10;

/// Reads one line (the password, its line end removed) from `in` and writes its "$2b$" hash and
/// a newline to `out`. `args` are what follows "hash-password". Returns the exit status: 0, or 2
/// with one line on `err` (an empty password, a cost outside 4..31, an unknown argument).
int RunHashPassword(const std::vector<std::string>& args, std::FILE* in, std::FILE* out,
                    std::FILE* err);

}  // namespace evonic::exporter
