#pragma once
// Which Evonic agent and session a sandbox container belongs to.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "collectors/identity/name_pattern.h"

namespace evonic::collectors {

/// The identity of one sandbox. `matched` is false when labels and name rules did not give both
/// ids; such a sandbox is still exported, as agent "unknown" with the session id a rule gave (a
/// session-only rule, e.g. for truncated ids) or else its container name.
struct Identity {
  std::string agent_id;
  std::string session_id;
  bool matched = false;
};

/// Longer container names and identity label values are not read for identity: the rules never
/// see them (a name of 30,000 characters is accepted by Docker), and such a sandbox is exported as
/// unmatched with the name cut to kMaxUnmatchedSessionBytes as its session.
inline constexpr std::size_t kMaxIdentityInputBytes = 512;
inline constexpr std::size_t kMaxUnmatchedSessionBytes = 128;

/// Today's Evonic naming: `evonic-<session_id>`, where session_id is `<agent_id>-<8 hex>`.
inline constexpr const char* kDefaultNameRule = R"(^evonic-(?<session>(?<agent>.+)-[0-9a-f]{8})$)";
inline constexpr const char* kUnknownAgent = "unknown";

/// \brief Resolves container names and labels to agent and session ids.
///
/// Labels (when the configured keys are present) win over the name; name rules are tried in order
/// and the first that matches wins. A rule is a regular expression in ECMAScript syntax (see
/// NamePattern for what is accepted) with the named groups `(?<session>...)` and optionally
/// `(?<agent>...)`, and may refer back with `\k<agent>`. Matching never recurses per character
/// and is bounded in steps. Immutable after Create(); const methods are thread-safe.
class IdentityResolver {
 public:
  struct Options {
    std::string agent_label;    // empty: no label lookup
    std::string session_label;  // empty: no label lookup
    std::vector<std::string> name_rules{kDefaultNameRule};
  };

  /// Compiles the rules; on a bad rule returns nothing and says why in `error`.
  static std::optional<IdentityResolver> Create(const Options& options, std::string* error);

  Identity Resolve(const std::string& container_name,
                   const std::map<std::string, std::string>& labels) const;

 private:
  struct NameRule {
    std::string source;
    NamePattern pattern;
    int agent_group = -1;  // -1: this rule names no agent
    int session_group = -1;
  };
  IdentityResolver() = default;

  std::string agent_label_;
  std::string session_label_;
  std::vector<NameRule> rules_;
};

}  // namespace evonic::collectors
