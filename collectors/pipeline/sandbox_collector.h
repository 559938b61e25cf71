#pragma once
// One collection cycle over every sandbox: list, inspect the new ones, fetch all stats at once.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "collectors/docker/engine_answers.h"
#include "collectors/docker/engine_api.h"
#include "collectors/docker/stats_parser.h"
#include "collectors/identity/sandbox_builder.h"
#include "collectors/pipeline/container_set_watch.h"
#include "collectors/pipeline/stats_source_choice.h"
#include "collectors/pipeline/stats_verifier.h"
#include "logging/logger.h"
#include "model/snapshot.h"

namespace evonic::collectors {

/// What one cycle found.
struct CycleResult {
  bool engine_up = false;                 // the engine answered the container list
  std::string api_version;                // negotiated, empty while unknown
  std::vector<model::Sandbox> sandboxes;  // sorted by (agent_id, session_id), unique label sets
  std::uint64_t errors = 0;               // failed or unusable answers in this cycle
  std::uint64_t unmatched = 0;            // sandboxes whose identity no rule gave
  std::uint64_t not_in_evonic_db = 0;     // with a database: sandboxes whose session it lacks
  std::string stats_source;               // "cgroupfs" or "engine"; empty until chosen
  std::uint64_t checks_agreed = 0;        // cgroupfs checked against the engine, since start
  std::uint64_t checks_disagreed = 0;
};

/// \brief Reads every sandbox's state: the list, inspect and events from the engine, the counters
/// from the source `stats` chooses (the engine's stats API or cgroupfs).
///
/// With cgroupfs in use and a `verifier`, one sandbox (round robin) is offered for a check
/// against the engine at most every 10 s; a disagreement, or a live sandbox whose cgroup cannot be
/// read, makes `stats` fall back to the engine in auto mode. Keeps, between cycles, each
/// container's inspect details (fetched once per container, freed when it goes) and its previous
/// stats reading (for CPU % from one-shot answers and cgroupfs); a container without one is asked
/// of the engine with the engine's previous sample, in either source, so that CPU % exists from
/// its first cycle (that cycle then waits about 1 s on the engine). Identities come from the
/// SandboxBuilder.
/// Problems are logged once when they start and once when they end, never once per cycle. Not
/// thread-safe: one collection thread owns an instance.
class SandboxCollector {
 public:
  struct Options {
    std::string label_filter = "evonic.managed=1";
    /// With the event stream followed: the last container list is reused while this says nothing
    /// changed (at most 10 s), so a steady cycle asks the engine nothing. Null: list every cycle.
    const ContainerSetWatch* container_set = nullptr;
  };

  SandboxCollector(EngineApi& engine, SandboxBuilder& builder, StatsSourceChoice& stats,
                   Options options, logging::Logger& log, StatsVerifier* verifier = nullptr);

  /// One cycle.
  CycleResult Collect();

 private:
  struct Known {
    std::optional<ContainerDetails> details;
    std::optional<StatsReading> previous;
    std::optional<double> last_cpu_ratio;  // kept through a cycle too soon after the last
    std::string last_error;  // logged once; cleared (and logged) when the container recovers
  };

  void ReportEngine(bool up, const std::string& why);
  /// The live sandboxes: the engine's list, or the last one while it cannot have changed. Null
  /// (and `result` says why) when the engine cannot list them.
  const std::vector<ContainerRef>* ListSandboxes(CycleResult& result);
  void ReportContainer(Known& known, const ContainerRef& ref, const std::string& error);
  /// The engine's stats outcomes of the targets `pick` chooses (by index), with their indexes.
  std::vector<std::pair<std::size_t, StatsOutcome>> AskEngine(
      const std::vector<StatsTarget>& targets, const std::function<bool(std::size_t)>& pick);
  /// auto mode: a sandbox cgroupfs could not read, or not read all of, is asked of the engine at
  /// once, in this cycle; an engine answer with values for it makes auto fall back (cgroupfs
  /// cannot see all that the engine can). Says which outcomes it took from the engine.
  std::vector<bool> SecondLook(const std::vector<StatsTarget>& targets,
                               std::vector<StatsOutcome>& outcomes);
  /// cgroupfs source: a sandbox with no sample yet is asked of the engine once, with the
  /// engine's previous sample, so that its CPU % exists in its first cycle (one cgroupfs reading
  /// has no previous one to compare with); the cgroupfs reading stays when the engine fails.
  /// Outcomes `from_engine_already` came from the engine in this cycle and are not asked again.
  void FirstSamples(const std::vector<StatsTarget>& targets,
                    const std::vector<bool>& from_engine_already,
                    std::vector<StatsOutcome>& outcomes);
  /// Offers one of `targets` to the verifier when a check is due.
  void Verify(const std::vector<StatsTarget>& targets,
              const std::vector<const ContainerRef*>& refs);

  EngineApi& engine_;
  SandboxBuilder& builder_;
  StatsSourceChoice& stats_;
  StatsVerifier* verifier_;
  std::chrono::steady_clock::time_point next_check_{};
  std::size_t check_turn_ = 0;
  Options options_;
  logging::Logger& log_;
  bool engine_up_logged_ = false;
  bool engine_down_logged_ = false;
  std::string engine_error_;
  std::string api_version_;             // the last one negotiated, for the log line
  std::map<std::string, Known> known_;  // by container id
  std::optional<std::vector<ContainerRef>> last_list_;
  std::uint64_t last_list_changes_ = 0;  // the watch's count just before that list was asked
  std::chrono::steady_clock::time_point last_list_at_{};
  bool list_stale_ = false;  // a listed sandbox turned out gone: list again next cycle
};

}  // namespace evonic::collectors
