#include "exporter/hash_password.h"

#include <cstdlib>
#include <optional>

#include "exporter/web/bcrypt_hash.h"

namespace evonic::exporter {

namespace {

// One line of `in`, without its "\n" or "\r\n"; nullopt at end of input before any character.
std::optional<std::string> ReadLine(std::FILE* in) {
  std::string line;
  int c;
  while ((c = std::fgetc(in)) != EOF && c != '\n') line += static_cast<char>(c);
  if (c == EOF && line.empty()) return std::nullopt;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace

int RunHashPassword(const std::vector<std::string>& args, std::FILE* in, std::FILE* out,
                    std::FILE* err) {
  int cost = kDefaultPasswordCost;
  for (const std::string& arg : args) {
    const std::string prefix = "--cost=";
    char* end = nullptr;
    if (arg.rfind(prefix, 0) == 0) {
      const std::string value = arg.substr(prefix.size());
      const long n = std::strtol(value.c_str(), &end, 10);
      if (value.empty() || *end != '\0' || n < 4 || n > 31) {
        std::fprintf(err, "hash-password: --cost must be a whole number from 4 to 31\n");
        return 2;
      }
      cost = static_cast<int>(n);
    } else if (arg == "-h" || arg == "--help") {
      std::fprintf(out,
                   "usage: evonic-sandbox-exporter hash-password [--cost=N] < password\n"
                   "Prints the bcrypt hash of the password on standard input (one line), for\n"
                   "basic_auth_users in the file given with --web.config.file. Cost %d by\n"
                   "default (4 to 31; each step doubles the time of every check).\n",
                   kDefaultPasswordCost);
      return 0;
    } else {
      std::fprintf(err, "hash-password: unknown argument %s (see hash-password --help)\n",
                   arg.c_str());
      return 2;
    }
  }
  std::optional<std::string> password = ReadLine(in);
  if (!password || password->empty()) {
    std::fprintf(err, "hash-password: no password on standard input\n");
    return 2;
  }
  std::optional<std::string> hash = BcryptHash(*password, cost);
  if (!hash) {
    std::fprintf(err, "hash-password: libxcrypt could not make a bcrypt hash\n");
    return 1;
  }
  std::fprintf(out, "%s\n", hash->c_str());
  return 0;
}

}  // namespace evonic::exporter
