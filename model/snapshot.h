#pragma once
// The data model between collectors and renderers: one immutable Snapshot per collection cycle.
// Plain values only (no handles, no behaviour), so a Snapshot can be shared read-only between
// threads.

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "model/events_view.h"
#include "model/evonic_view.h"

namespace evonic::model {

/// Limits a sandbox was started with (HostConfig). Absent means unlimited.
struct SandboxLimits {
  std::optional<double> cpu_cores;
  std::optional<double> memory_bytes;
  std::optional<double> pids;
};

/// Interface counters summed over all of a sandbox's interfaces.
struct NetworkCounters {
  double receive_bytes = 0, transmit_bytes = 0;
  double receive_packets = 0, transmit_packets = 0;
  double receive_errors = 0, transmit_errors = 0;
  double receive_dropped = 0, transmit_dropped = 0;
};

/// One stats answer turned into values as `docker stats` computes them. Every field is absent when
/// the engine did not give it or gave something unusable; absent is never replaced by zero.
struct SandboxUsage {
  std::optional<double> cpu_seconds;
  std::optional<double> cpu_user_seconds;
  std::optional<double> cpu_system_seconds;
  std::optional<double> cpu_utilization_ratio;  // docker stats CPU % / 100
  std::optional<double> cpu_periods;
  std::optional<double> cpu_throttled_periods;
  std::optional<double> cpu_throttled_seconds;
  // The working set: usage minus inactive file cache, docker stats' "used" and the REST `used`.
  std::optional<double> memory_used_bytes;
  std::optional<double> memory_usage_bytes;  // usage with all cache (cAdvisor's usage)
  std::optional<double> memory_rss_bytes;    // v1 total_rss, v2 anon
  std::optional<double> memory_cache_bytes;  // v1 total_cache, v2 file
  std::optional<double> memory_swap_bytes;   // v1 total_swap, v2 memory.swap.current
  std::optional<double> memory_limit_hits;   // v1 failcnt, v2 memory.events max (a counter)
  std::optional<double> memory_limit_bytes;  // the stats answer's limit (host memory if unlimited)
  std::optional<NetworkCounters> network;
  std::optional<double> block_read_bytes;
  std::optional<double> block_write_bytes;
  std::optional<double> pids;
};

/// One live sandbox container.
struct Sandbox {
  std::string container_id;  // full 64-hex id
  std::string container_name;
  std::string image;
  std::string network_mode;
  std::string agent_id;
  std::string session_id;
  bool identity_matched = false;  // false: no label or name rule matched
  bool in_evonic_db = false;      // its session was found in Evonic's database
  SandboxLimits limits;
  std::optional<double> start_time_seconds;
  std::optional<SandboxUsage> usage;  // absent: no usable stats answer this cycle
};

/// What the exporter knows about its own collection.
struct CollectorStatus {
  bool docker_up = false;
  std::string api_version;  // negotiated; empty until the engine answered
  double collect_duration_seconds = 0;
  double collect_interval_seconds = 0;
  double last_collect_timestamp_seconds = 0;  // 0 until the first cycle ends
  double collect_errors_total = 0;
  double collect_overruns_total = 0;
  double unmatched_containers = 0;
  double sessions_not_in_evonic_db = 0;        // with a database: sandboxes whose session it lacks
  double collect_start_timestamp_seconds = 0;  // when the last cycle asked for the list
  std::string stats_source;                    // "cgroupfs" or "engine"; empty until chosen
  double stats_checks_agreed_total = 0;        // cgroupfs checked against the engine
  double stats_checks_disagreed_total = 0;
};

/// The result of one collection cycle. Immutable once published.
struct Snapshot {
  std::uint64_t generation = 0;
  std::vector<Sandbox> sandboxes;  // sorted by (agent_id, session_id)
  double pool_max_containers = 0;
  CollectorStatus status;
  /// Agents seen with a sandbox since the exporter started (the REST 404 rule without a database).
  std::shared_ptr<const std::set<std::string>> known_agents;
  /// Evonic's agents and sessions; null when no --evonic.root was given.
  std::shared_ptr<const EvonicView> evonic;
  /// What the engine's event stream said; null when events are not followed.
  std::shared_ptr<const EventsView> events;
};

}  // namespace evonic::model
