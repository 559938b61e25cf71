#pragma once
// Resolving the session part of a sandbox container's name against Evonic's sessions.

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/evonic_view.h"

namespace evonic::collectors {

/// Earlier Evonic versions cut the session id in container names to these lengths.
inline constexpr std::size_t kTruncatedSessionIdLengths[] = {20, 40};

/// A session id as Evonic puts it in a container name: every character outside
/// `[a-zA-Z0-9_.-]` becomes `-`.
std::string SanitiseSessionId(std::string_view session_id);

/// \brief An index over one view's sessions for resolving many candidates quickly (O(log n) each;
/// building is O(n log n)). Candidates resolve, in this order, to the session whose id is the
/// candidate; else whose sanitised id is the candidate; else, when the candidate has a truncation
/// length (20 or 40), whose sanitised id starts with it. Two or more sessions fitting the same
/// step is ambiguous: no match. Immutable after construction, so safe to share between threads;
/// it keeps its view alive.
class SessionIndex {
 public:
  explicit SessionIndex(std::shared_ptr<const model::EvonicView> view);

  std::optional<model::EvonicSession> Match(std::string_view candidate) const;
  const model::EvonicView& view() const { return *view_; }

 private:
  std::shared_ptr<const model::EvonicView> view_;
  // (sanitised id, session) sorted by sanitised id; the sessions live in *view_.
  std::vector<std::pair<std::string, const model::EvonicSession*>> by_sanitised_id_;
};

/// The same rules as SessionIndex::Match without an index: O(log n) when the candidate is a
/// session id, else O(n). For many lookups against one view, build a SessionIndex once.
std::optional<model::EvonicSession> MatchSession(const model::EvonicView& view,
                                                 const std::string& candidate);

}  // namespace evonic::collectors
