#pragma once
// The name rules' regular expressions, matched without recursion and within a step budget, so that
// no container name (the engine accepts names of 30,000 characters and more) can exhaust the stack
// or the CPU of the collection thread.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "collectors/identity/name_pattern_program.h"

namespace evonic::collectors {

/// \brief A compiled pattern in the ECMAScript syntax that name rules use: literals, `.`,
/// classes (`[a-z0-9_-]`, `[^/]`, `\d \w \s` and their negations), groups (`(...)`, `(?:...)`,
/// `(?<name>...)`), alternation, the quantifiers `* + ? {n} {n,} {n,m}` (greedy or lazy with a
/// trailing `?`), anchors `^ $`, and back references `\1`..`\9` and `\k<name>`. Lookarounds and
/// other assertions are refused at compile time with a message.
///
/// Match() is a backtracking matcher over a compiled program with an explicit stack (no recursion
/// per character). Without back references every (instruction, position) pair is tried at most
/// once, so a match costs at most O(program size x input length) steps; with them, at most
/// `kStepBudget` steps, after which the input counts as not matching. Immutable after Compile();
/// Match() is const and thread-safe.
class NamePattern {
 public:
  static constexpr std::size_t kStepBudget = 4'000'000;

  /// Compiles `pattern`; nullopt and `error` on a syntax this class does not accept.
  static std::optional<NamePattern> Compile(std::string_view pattern, std::string* error);

  /// Captures of a whole-input match (as std::regex_match): [0] is the whole input, [n] group n
  /// (nullopt when the group took no part). nullopt when the input does not match or the step
  /// budget ran out (`*exhausted` is then set).
  using Captures = std::vector<std::optional<std::string_view>>;
  std::optional<Captures> Match(std::string_view input, bool* exhausted = nullptr) const;

  /// Named groups and their numbers (1-based, in order of their opening parenthesis).
  const std::map<std::string, int>& groups() const { return groups_; }
  int group_count() const { return group_count_; }

 private:
  friend class NamePatternCompiler;

  std::vector<name_pattern_detail::Inst> program_;
  std::vector<name_pattern_detail::CharClass> classes_;
  std::map<std::string, int> groups_;
  int group_count_ = 0;
  bool has_backrefs_ = false;
};

}  // namespace evonic::collectors
