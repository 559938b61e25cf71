#pragma once
// The event processor's state: what the engine's event stream said, joined and counted.

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "collectors/docker/event_parser.h"
#include "collectors/pipeline/ending_classifier.h"
#include "model/events_view.h"
#include "model/snapshot.h"

namespace evonic::collectors {

/// \brief Turns container events into per-agent and per-sandbox counters.
///
/// - Duplicates (same time in ns, container id, action and exec id) are dropped: a reconnect with
///   `since=<last event time>` replays them (`since` is inclusive). Events older than every key
///   still remembered are duplicates too.
/// - exec_create/exec_start are joined to exec_die by exec id; an execution is counted when it
///   ends (runs, failures for exit code != 0, duration exec_start -> exec_die).
/// - A sandbox's ending is counted once per `die` under the reason ClassifyEnding gives from the
///   kill and oom events since its last start (a `destroy` without a `die`, of a container that
///   never ran, is no ending), also when a cross-check freed the sandbox between them.
/// - Exec state is freed at exec_die, a sandbox's state (and its execs whose start failed, which
///   never get an exec_die) at destroy. tracked_objects() counts both.
/// - After a reconnect, the replay must contain the last event seen before the break; when it
///   does not (the engine's 256-event buffer rolled past it, or the engine restarted), events may
///   have been lost: lost_total goes up and the next stats cycle's cross-check repairs the state.
/// - A sandbox's agent is the one `agent_of` (the SandboxBuilder, which also names the agents of
///   the stats) gives at its first event; a cross-check adopts the stats' answer from then on.
/// - Agents exist (at 0) from their first event for the life of the object (agents seen only in
///   stats or the database are the composer's to add).
/// - A cross-check against a stats cycle that listed a sandbox destroyed since is no
///   disagreement: such a sandbox is neither adopted nor counted.
/// Not thread-safe: the event processor thread owns it.
class EventLedger {
 public:
  /// The agent of a container, from its name and labels.
  using AgentOf = std::function<std::string(const std::string& container_name,
                                            const std::map<std::string, std::string>& labels)>;
  explicit EventLedger(AgentOf agent_of);

  struct Effect {
    bool duplicate = false;
    bool started = false;    // a sandbox started: show it now
    bool destroyed = false;  // a sandbox is gone: remove its series now
  };
  Effect Apply(const EngineEvent& event);

  /// A new connection: its replay is checked for the last event seen before (if any).
  void OnConnected(bool first);
  /// The replay of the current connection is over (a deadline after connecting).
  void OnReplayOver();
  /// Still waiting for the replay to bring back the last event seen before the break.
  bool ReplayPending() const { return expected_in_replay_.has_value(); }

  /// Compares a stats cycle's live sandboxes with what the events said and repairs the state:
  /// sandboxes the events missed are adopted, sandboxes the events still think live are freed.
  /// Only sandboxes whose start is safely before the cycle (1 s) and after `stream_since_seconds`
  /// (when the stream began to cover the engine) count as disagreements. Returns the ids freed.
  std::vector<std::string> CrossCheck(const model::Snapshot& stats, double stream_since_seconds);

  std::int64_t last_time_nano() const { return last_time_nano_; }
  std::size_t tracked_objects() const;
  model::EventsStatus& status() { return status_; }

  /// An immutable copy of the counters and status.
  std::shared_ptr<const model::EventsView> View() const;

 private:
  using Key = std::tuple<std::int64_t, std::string, std::string, std::string>;
  struct Exec {
    model::Tool tool = model::Tool::kOther;
    std::int64_t start_nano = 0;  // 0 until exec_start
  };
  struct Box {
    std::string agent_id;
    bool running = false;
    // When it was last seen to start running (its start event; else its first event, or its
    // adoption): a cycle that began before this could not list it.
    std::int64_t seen_nano = 0;
    EndingSigns signs;  // since its last start
    model::SessionEventCounters counters;
    std::map<std::string, Exec> execs;  // by exec id
  };

  bool Remember(const EngineEvent& event);  // false: a duplicate
  Box& Ensure(const EngineEvent& event);
  // The agent of a tracked sandbox, else the one `agent_of_` gives.
  std::string AgentOfEvent(const EngineEvent& event) const;
  void CountRun(Box& box, model::Tool tool, bool failed, double seconds);

  AgentOf agent_of_;
  std::map<std::string, model::AgentEventCounters> agents_;
  std::map<std::string, Box> boxes_;  // by container id
  // Destroyed sandboxes (id -> destroy time), so that a stats cycle that listed one just before
  // its destroy does not bring it back; forgotten once a cycle started well after the destroy.
  std::map<std::string, std::int64_t> destroyed_;
  // The ending signs of sandboxes a cross-check freed (id -> the cycle's start, signs): a stream
  // that lags behind the list brings their die later, and it must still know of the kill or OOM.
  // Forgotten at that die or destroy, or a minute after the cycle.
  std::map<std::string, std::pair<std::int64_t, EndingSigns>> freed_signs_;
  std::set<Key> recent_;  // dedup window
  std::deque<Key> recent_order_;
  std::int64_t floor_nano_ = 0;  // events at or before this time are older than the window
  std::int64_t last_time_nano_ = 0;
  std::optional<Key> last_key_;
  std::optional<Key> expected_in_replay_;
  model::EventsStatus status_;
};

}  // namespace evonic::collectors
