#pragma once
// The one place that decides a sandbox's identity (agent_id, session_id), for the stats cycle and
// the events alike, and turns what the engine said about a container into a model::Sandbox.

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "collectors/docker/engine_answers.h"
#include "collectors/evonic/evonic_database.h"
#include "collectors/identity/identity.h"
#include "model/snapshot.h"

namespace evonic::collectors {

/// Who a sandbox belongs to.
struct SandboxIdentity {
  std::string agent_id;
  std::string session_id;
  bool matched = false;       // a label, a name rule or the database gave both ids
  bool in_evonic_db = false;  // its session is a row of Evonic's database
};

/// \brief Decides identities: labels, then name rules (IdentityResolver), then, with Evonic's
/// database, the session row the name or label points to and that row's agent, which win.
///
/// The stats cycle, the events processor and the event ledger all ask this object, so an OOM kill
/// or a tool call is counted under the same agent as the sandbox's stats. For the events, a
/// container whose session the current view lacks (created since the last refresh) makes it
/// re-read the database at once (at most every `refresh_gap`), so a sandbox's first events already
/// see its row; the stats cycle reads the database once, at its start. Thread-safe: the database
/// is read under a lock; matching works on immutable views.
class SandboxBuilder {
 public:
  /// `database` null: identities come from labels and name rules alone.
  SandboxBuilder(IdentityResolver rules, std::unique_ptr<EvonicDatabase> database,
                 std::chrono::milliseconds refresh_gap = std::chrono::milliseconds(200));

  /// Re-reads the database (the stats cycle, before each cycle); null without a database.
  std::shared_ptr<const model::EvonicView> RefreshEvonic();
  bool has_database() const { return database_ != nullptr; }

  /// Whether a session the view lacks makes the database be read again now.
  enum class OnMiss { kReadAgain, kUseTheView };

  /// kReadAgain is for sandboxes the events show first (created since the last refresh); the stats
  /// cycle, which refreshed at its start, uses the view it has.
  SandboxIdentity Resolve(const std::string& container_name,
                          const std::map<std::string, std::string>& labels,
                          OnMiss on_miss = OnMiss::kReadAgain);

  /// A sandbox with its identity and, when known, what inspect said; no usage yet.
  model::Sandbox Build(const ContainerRef& ref, const ContainerDetails* details,
                       OnMiss on_miss = OnMiss::kReadAgain);

 private:
  std::shared_ptr<const SessionIndex> Index(bool after_miss);
  /// Reads the database and indexes its view; `mu_` is held.
  std::shared_ptr<const model::EvonicView> RefreshLocked(std::chrono::steady_clock::time_point now);

  const IdentityResolver rules_;
  const std::chrono::milliseconds refresh_gap_;
  std::mutex mu_;  // guards database_ and the fields below
  std::unique_ptr<EvonicDatabase> database_;
  std::shared_ptr<const SessionIndex> index_;
  std::chrono::steady_clock::time_point last_refresh_{};
};

/// Makes every (agent_id, session_id) pair unique by suffixing later duplicates with "@" and
/// their short container id, so the exposition never has two series with one label set. Sorts by
/// (agent_id, session_id, container_id).
void MakeLabelSetsUnique(std::vector<model::Sandbox>& sandboxes);

}  // namespace evonic::collectors
