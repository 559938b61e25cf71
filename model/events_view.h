#pragma once
// What the engine's event stream told the exporter: per-agent counters, per-sandbox (session)
// counters and the stream's own health. Plain values, immutable once published, so one
// EventsView is shared read-only by every snapshot rendered while it is current.

#include <array>
#include <cstddef>
#include <map>
#include <string>

namespace evonic::model {

/// The tools a sandbox exec is counted under (see collectors/tool_classifier.h).
enum class Tool : std::size_t { kBash = 0, kPython = 1, kOther = 2 };
inline constexpr std::size_t kToolCount = 3;
inline constexpr std::array<const char*, kToolCount> kToolNames = {"bash", "python", "other"};

/// Upper bounds (seconds) of evonic_sandbox_tool_duration_seconds: 50 ms to 10 min.
inline constexpr std::array<double, 13> kToolDurationBuckets = {0.05, 0.1, 0.25, 0.5, 1,   2.5, 5,
                                                                10,   30,  60,   120, 300, 600};

/// How a sandbox stopped running (see collectors/pipeline/ending_classifier.h), in the order they
/// are decided: a removal asked of the engine wins over an OOM kill, which wins over the exit code.
enum class Ending : std::size_t { kRemoved = 0, kOom = 1, kError = 2, kClean = 3 };
inline constexpr std::size_t kEndingCount = 4;
inline constexpr std::array<const char*, kEndingCount> kEndingNames = {"removed", "oom", "error",
                                                                       "clean"};

/// Finished executions of one tool.
struct ToolCounters {
  double runs = 0;
  double failures = 0;  // exit code not 0
  double seconds = 0;   // sum of exec_start -> exec_die
  /// Non-cumulative counts per bucket of kToolDurationBuckets; the last slot is +Inf.
  std::array<double, kToolDurationBuckets.size() + 1> bucket_counts{};
};

/// One agent's counters, kept for the life of the process from the agent's first sighting.
struct AgentEventCounters {
  double oom_kills = 0;
  double created = 0;
  double destroyed = 0;
  std::array<double, kEndingCount> endings{};  // sandboxes that stopped running, by Ending
  std::array<ToolCounters, kToolCount> tools{};
};

/// One live sandbox's counters since the exporter saw it start (freed at destroy).
struct SessionEventCounters {
  double oom_kills = 0;
  std::array<ToolCounters, kToolCount> tools{};
};

/// The event stream's health.
struct EventsStatus {
  bool up = false;  // connected and reading
  double reconnects_total = 0;
  double lost_total = 0;  // gaps where more than the engine's 256 replayed events may have passed
  double repairs_total = 0;  // stats cycles that disagreed with the events, per sandbox repaired
  double queue_drops_total = 0;  // lines dropped because the reader's queue was full
  double malformed_total = 0;    // lines that were not a usable event
  double tracked_objects = 0;    // live execs + live sandboxes held by the event processor
};

struct EventsView {
  std::map<std::string, AgentEventCounters> agents;      // by agent_id
  std::map<std::string, SessionEventCounters> sessions;  // by full container id
  EventsStatus status;
};

}  // namespace evonic::model
