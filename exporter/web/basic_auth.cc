#include "exporter/web/basic_auth.h"

#include <algorithm>
#include <cctype>

#include "exporter/web/bcrypt_hash.h"

namespace evonic::exporter {

namespace {

int Base64Value(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Strict standard base64 with padding (what browsers, curl and Prometheus send).
std::optional<std::string> DecodeBase64(std::string_view in) {
  if (in.empty() || in.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(in.size() / 4 * 3);
  for (std::size_t i = 0; i < in.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int j = 0; j < 4; ++j) {
      unsigned char c = static_cast<unsigned char>(in[i + j]);
      if (c == '=' && i + 4 == in.size() && j >= 2) {
        v[j] = 0;
        ++pad;
        continue;
      }
      if (pad > 0) return std::nullopt;  // data after padding
      v[j] = Base64Value(c);
      if (v[j] < 0) return std::nullopt;
    }
    unsigned triple =
        (unsigned(v[0]) << 18) | (unsigned(v[1]) << 12) | (unsigned(v[2]) << 6) | unsigned(v[3]);
    out.push_back(static_cast<char>((triple >> 16) & 0xff));
    if (pad < 2) out.push_back(static_cast<char>((triple >> 8) & 0xff));
    if (pad < 1) out.push_back(static_cast<char>(triple & 0xff));
  }
  return out;
}

// User names reach the debug log; keep them short there.
std::string ForLog(const std::string& user) {
  return user.size() <= 64 ? user : user.substr(0, 64) + "...";
}

}  // namespace

std::optional<BasicCredentials> ParseBasicAuthorization(std::string_view header) {
  std::size_t space = header.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  std::string scheme(header.substr(0, space));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (scheme != "basic") return std::nullopt;
  std::string_view token = header.substr(space + 1);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  auto decoded = DecodeBase64(token);
  if (!decoded) return std::nullopt;
  std::size_t colon = decoded->find(':');
  if (colon == std::string::npos || decoded->find('\0') != std::string::npos) return std::nullopt;
  BasicCredentials c{decoded->substr(0, colon), decoded->substr(colon + 1)};
  std::fill(decoded->begin(), decoded->end(), '\0');
  return c;
}

const char* AuthResultReason(AuthResult result) {
  switch (result) {
    case AuthResult::kAllowed:
      return "allowed";
    case AuthResult::kNoUsers:
      return "no_users_configured";
    case AuthResult::kMissing:
      return "missing_credentials";
    case AuthResult::kMalformed:
      return "malformed_credentials";
    case AuthResult::kUnknownUser:
      return "unknown_user";
    case AuthResult::kWrongPassword:
      return "wrong_password";
    case AuthResult::kBusy:
      return "busy";
    case AuthResult::kAddressBusy:
      return "address_busy";
    case AuthResult::kAddressThrottled:
      return "address_throttled";
  }
  return "unknown";
}

struct BasicAuthenticator::UserTable {
  UserTable(std::map<std::string, std::string> u, std::string dummy, std::chrono::seconds ttl,
            std::size_t capacity)
      : users(std::move(u)), dummy_hash(std::move(dummy)), verified(ttl, capacity) {}
  const std::map<std::string, std::string> users;
  const std::string dummy_hash;
  mutable BcryptVerifiedCache verified;  // internally synchronized; tables are shared const
};

BasicAuthenticator::BasicAuthenticator(const Options& options, logging::Logger& log)
    : options_(options),
      log_(log),
      gate_(options.max_concurrent_bcrypt),
      addresses_(options.per_address),
      users_(std::make_shared<UserTable>(std::map<std::string, std::string>{}, std::string(),
                                         options.cache_ttl, options.cache_capacity)) {}

bool BasicAuthenticator::SetUsers(const std::map<std::string, std::string>& users,
                                  std::string* error) {
  std::string dummy;
  if (!users.empty()) {
    int cost = 4;
    for (const auto& [name, hash] : users) cost = std::max(cost, BcryptCost(hash));
    // An unknown name is checked at the highest cost: a user of a lower cost answers faster than
    // an unknown name does, so such a user name can be told from response times.
    std::string cheaper;
    int lowest = cost;
    for (const auto& [name, hash] : users) {
      if (BcryptCost(hash) == cost) continue;
      lowest = std::min(lowest, BcryptCost(hash));
      cheaper += (cheaper.empty() ? "" : ",") + name;
    }
    if (!cheaper.empty()) {
      log_.Warn(
          "basic_auth_users have different bcrypt costs: users below the highest can be told "
          "from unknown names by response time; give every user the same cost",
          {{"highest_cost", std::to_string(cost)},
           {"lowest_cost", std::to_string(lowest)},
           {"lower_cost_users", cheaper}});
    }
    // Its password does not matter (an unknown user is refused whatever matches); its cost does:
    // the highest configured, so an unknown name is never cheaper to try than a known one.
    auto made = BcryptHash("evonic-dummy-" + std::to_string(cost) + "-unused", cost);
    if (!made) {
      *error = "cannot make the dummy bcrypt hash for unknown users";
      return false;
    }
    dummy = *made;
  }
  users_.Publish(
      std::make_shared<UserTable>(users, dummy, options_.cache_ttl, options_.cache_capacity));
  return true;
}

bool BasicAuthenticator::HasUsers() const { return !users_.Get()->users.empty(); }

AuthResult BasicAuthenticator::Count(AuthResult result, const std::string& user,
                                     const char* bcrypt_against) {
  std::atomic<std::uint64_t>* counter = nullptr;
  switch (result) {
    case AuthResult::kAllowed:
      return result;  // counted by the caller (cached or not)
    case AuthResult::kNoUsers:
      counter = &counters_.no_users;
      break;
    case AuthResult::kMissing:
      counter = &counters_.missing;
      break;
    case AuthResult::kMalformed:
      counter = &counters_.malformed;
      break;
    case AuthResult::kUnknownUser:
      counter = &counters_.unknown_user;
      break;
    case AuthResult::kWrongPassword:
      counter = &counters_.wrong_password;
      break;
    case AuthResult::kBusy:
      counter = &counters_.busy;
      break;
    case AuthResult::kAddressBusy:
      counter = &counters_.address_busy;
      break;
    case AuthResult::kAddressThrottled:
      counter = &counters_.address_throttled;
      break;
  }
  counter->fetch_add(1, std::memory_order_relaxed);
  // Debug level: a flood would otherwise fill the log. Never the password.
  log_.Debug(
      "authentication failed",
      {{"reason", AuthResultReason(result)}, {"user", ForLog(user)}, {"bcrypt", bcrypt_against}});
  return result;
}

AuthResult BasicAuthenticator::Check(const std::string& authorization,
                                     const std::string& client_address) {
  std::shared_ptr<const UserTable> table = users_.Get();
  if (table->users.empty()) return Count(AuthResult::kNoUsers, "");
  if (authorization.empty()) return Count(AuthResult::kMissing, "");
  auto credentials = ParseBasicAuthorization(authorization);
  if (!credentials) return Count(AuthResult::kMalformed, "");
  BcryptVerifiedCache& cache = table->verified;
  const auto now = BcryptVerifiedCache::Clock::now();
  if (cache.Contains(credentials->user, credentials->password, now)) {
    counters_.allowed_cached.fetch_add(1, std::memory_order_relaxed);
    return AuthResult::kAllowed;
  }
  std::optional<AddressLedger::Ticket> ticket;
  switch (addresses_.Admit(client_address, &ticket)) {
    case AddressLedger::Admission::kAdmitted:
      break;
    case AddressLedger::Admission::kAddressBusy:
      return Count(AuthResult::kAddressBusy, credentials->user);
    case AddressLedger::Admission::kAddressThrottled:
      return Count(AuthResult::kAddressThrottled, credentials->user);
  }
  BcryptGate::Pass pass = gate_.TryEnter();
  if (!pass) return Count(AuthResult::kBusy, credentials->user);
  auto it = table->users.find(credentials->user);
  if (it == table->users.end()) {
    // Same work as a known user, so response time does not tell which names exist.
    counters_.dummy_hash_checks.fetch_add(1, std::memory_order_relaxed);
    BcryptVerify(credentials->password, table->dummy_hash);
    ticket->Failed();
    return Count(AuthResult::kUnknownUser, credentials->user, "dummy_hash");
  }
  if (!BcryptVerify(credentials->password, it->second)) {
    ticket->Failed();
    return Count(AuthResult::kWrongPassword, credentials->user, "user_hash");
  }
  cache.Insert(credentials->user, credentials->password, now);
  counters_.allowed_bcrypt.fetch_add(1, std::memory_order_relaxed);
  return AuthResult::kAllowed;
}

AuthStats BasicAuthenticator::Stats() const {
  AuthStats s;
  s.allowed_cached = counters_.allowed_cached.load();
  s.allowed_bcrypt = counters_.allowed_bcrypt.load();
  s.missing = counters_.missing.load();
  s.malformed = counters_.malformed.load();
  s.unknown_user = counters_.unknown_user.load();
  s.wrong_password = counters_.wrong_password.load();
  s.busy = counters_.busy.load();
  s.address_busy = counters_.address_busy.load();
  s.address_throttled = counters_.address_throttled.load();
  s.dummy_hash_checks = counters_.dummy_hash_checks.load();
  s.no_users = counters_.no_users.load();
  return s;
}

}  // namespace evonic::exporter
