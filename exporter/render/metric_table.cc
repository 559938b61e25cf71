#include "exporter/render/metric_table.h"

#include <set>
#include <string>

#include "exporter/render/event_samples.h"

namespace evonic::exporter {

namespace {

using model::Sandbox;
using prometheus::ClientMetric;
using prometheus::MetricType;
using Value = std::optional<double>;

// Every sandbox value is a snapshot of the last collection.
#define SNAP " Refreshed every collection."

ClientMetric Sample(MetricType type, double value, std::vector<ClientMetric::Label> labels = {}) {
  ClientMetric m;
  m.label = std::move(labels);
  if (type == MetricType::Counter) {
    m.counter.value = value;
  } else {
    m.gauge.value = value;
  }
  return m;
}

void Add(Samples& out, MetricType type, Value v) {
  if (v) out.push_back(Sample(type, *v));
}

const model::CollectorStatus& Status(const RenderInput& in) { return in.snapshot.status; }

Value Net(const Sandbox& s, double model::NetworkCounters::*field) {
  if (!s.usage || !s.usage->network) return std::nullopt;
  return (*s.usage->network).*field;
}

template <Value model::SandboxUsage::*Field>
Value Use(const Sandbox& s) {
  return s.usage ? (*s.usage).*Field : std::nullopt;
}

}  // namespace

const std::vector<MetricDef>& MetricTable() {
  using MT = MetricType;
  using U = model::SandboxUsage;
  using N = model::NetworkCounters;
  static const std::vector<MetricDef> kTable = {
      // Identity: one series per live sandbox.
      {"evonic_sandbox_info",
       "A live Evonic sandbox container: 1 per sandbox, with its container id (12 characters), "
       "name and image." SNAP,
       MT::Gauge, nullptr,
       [](const RenderInput& in, Samples& out) {
         for (const Sandbox& s : in.snapshot.sandboxes) {
           out.push_back(Sample(MT::Gauge, 1,
                                {{kAgentLabel, s.agent_id},
                                 {kSessionLabel, in.labeler.SessionLabel(s)},
                                 {"container_id", s.container_id.substr(0, 12)},
                                 {"container_name", in.labeler.ContainerNameLabel(s)},
                                 {"image", s.image}}));
         }
       }},
      // CPU.
      {"evonic_sandbox_cpu_usage_seconds_total",
       "CPU time the sandbox used, user and system, in seconds." SNAP, MT::Counter,
       &Use<&U::cpu_seconds>, nullptr},
      {"evonic_sandbox_cpu_user_seconds_total",
       "CPU time the sandbox used in user mode, in seconds." SNAP, MT::Counter,
       &Use<&U::cpu_user_seconds>, nullptr},
      {"evonic_sandbox_cpu_system_seconds_total",
       "CPU time the sandbox used in kernel mode, in seconds." SNAP, MT::Counter,
       &Use<&U::cpu_system_seconds>, nullptr},
      {"evonic_sandbox_cpu_utilization_ratio",
       "CPU use as docker stats computes it, divided by 100: 1 is one full core. Measured "
       "between the engine's last two samples of the sandbox." SNAP,
       MT::Gauge, &Use<&U::cpu_utilization_ratio>, nullptr},
      {"evonic_sandbox_cpu_limit_cores",
       "CPU limit of the sandbox in cores (--cpus, or CPU quota / period); absent when "
       "unlimited." SNAP,
       MT::Gauge, [](const Sandbox& s) { return s.limits.cpu_cores; }, nullptr},
      {"evonic_sandbox_cpu_periods_total",
       "CFS enforcement periods that elapsed while the sandbox could run." SNAP, MT::Counter,
       &Use<&U::cpu_periods>, nullptr},
      {"evonic_sandbox_cpu_throttled_periods_total",
       "CFS periods in which the sandbox was throttled by its CPU limit." SNAP, MT::Counter,
       &Use<&U::cpu_throttled_periods>, nullptr},
      {"evonic_sandbox_cpu_throttled_seconds_total",
       "Total time the sandbox was throttled by its CPU limit, in seconds." SNAP, MT::Counter,
       &Use<&U::cpu_throttled_seconds>, nullptr},
      // Memory.
      // The README's memory table says which cAdvisor metric each one is, and where it is absent.
      {"evonic_sandbox_memory_working_set_bytes",
       "Memory the sandbox uses as docker stats shows it: usage minus inactive file cache "
       "(tmpfs files count as used); cAdvisor's container_memory_working_set_bytes." SNAP,
       MT::Gauge, &Use<&U::memory_used_bytes>, nullptr},
      {"evonic_sandbox_memory_usage_bytes",
       "Memory charged to the sandbox including all file cache (v1 memory.usage_in_bytes, v2 "
       "memory.current); cAdvisor's container_memory_usage_bytes. The limit applies to "
       "this." SNAP,
       MT::Gauge, &Use<&U::memory_usage_bytes>, nullptr},
      {"evonic_sandbox_memory_rss_bytes",
       "Anonymous memory of the sandbox's processes, which reclaim cannot drop without swap: "
       "cgroup v1 total_rss, v2 anon." SNAP,
       MT::Gauge, &Use<&U::memory_rss_bytes>, nullptr},
      {"evonic_sandbox_memory_cache_bytes",
       "File cache charged to the sandbox, tmpfs files included: cgroup v1 total_cache, v2 "
       "file." SNAP,
       MT::Gauge, &Use<&U::memory_cache_bytes>, nullptr},
      {"evonic_sandbox_memory_swap_bytes",
       "Swap the sandbox uses: cgroup v1 total_swap, v2 memory.swap.current; absent without "
       "swap accounting, and with the engine stats source where the engine does not send it "
       "(Docker 20.10 never does)." SNAP,
       MT::Gauge, &Use<&U::memory_swap_bytes>, nullptr},
      {"evonic_sandbox_memory_limit_hits_total",
       "Times the sandbox's memory usage reached its limit and the kernel had to reclaim: cgroup "
       "v1 memory.failcnt, v2 memory.events max; absent on v2 with the engine stats source. OOM "
       "kills are evonic_sandbox_oom_kills_total." SNAP,
       MT::Counter, &Use<&U::memory_limit_hits>, nullptr},
      {"evonic_sandbox_memory_limit_bytes",
       "Memory limit of the sandbox in bytes (--memory); absent when unlimited." SNAP, MT::Gauge,
       [](const Sandbox& s) { return s.limits.memory_bytes; }, nullptr},
      // Network, summed over interfaces; 0 for --network none.
      {"evonic_sandbox_network_receive_bytes_total",
       "Bytes received over all the sandbox's interfaces (0 with --network none)." SNAP,
       MT::Counter, [](const Sandbox& s) { return Net(s, &N::receive_bytes); }, nullptr},
      {"evonic_sandbox_network_transmit_bytes_total",
       "Bytes sent over all the sandbox's interfaces (0 with --network none)." SNAP, MT::Counter,
       [](const Sandbox& s) { return Net(s, &N::transmit_bytes); }, nullptr},
      {"evonic_sandbox_network_receive_packets_total",
       "Packets received over all the sandbox's interfaces." SNAP, MT::Counter,
       [](const Sandbox& s) { return Net(s, &N::receive_packets); }, nullptr},
      {"evonic_sandbox_network_transmit_packets_total",
       "Packets sent over all the sandbox's interfaces." SNAP, MT::Counter,
       [](const Sandbox& s) { return Net(s, &N::transmit_packets); }, nullptr},
      {"evonic_sandbox_network_receive_errors_total",
       "Receive errors over all the sandbox's interfaces." SNAP, MT::Counter,
       [](const Sandbox& s) { return Net(s, &N::receive_errors); }, nullptr},
      {"evonic_sandbox_network_transmit_errors_total",
       "Transmit errors over all the sandbox's interfaces." SNAP, MT::Counter,
       [](const Sandbox& s) { return Net(s, &N::transmit_errors); }, nullptr},
      {"evonic_sandbox_network_receive_dropped_total",
       "Received packets dropped over all the sandbox's interfaces." SNAP, MT::Counter,
       [](const Sandbox& s) { return Net(s, &N::receive_dropped); }, nullptr},
      {"evonic_sandbox_network_transmit_dropped_total",
       "Outgoing packets dropped over all the sandbox's interfaces." SNAP, MT::Counter,
       [](const Sandbox& s) { return Net(s, &N::transmit_dropped); }, nullptr},
      // Block I/O.
      {"evonic_sandbox_block_read_bytes_total",
       "Bytes the sandbox read from block devices, summed over devices." SNAP, MT::Counter,
       &Use<&U::block_read_bytes>, nullptr},
      {"evonic_sandbox_block_write_bytes_total",
       "Bytes the sandbox wrote to block devices, summed over devices." SNAP, MT::Counter,
       &Use<&U::block_write_bytes>, nullptr},
      // Processes.
      {"evonic_sandbox_pids", "Processes and threads in the sandbox." SNAP, MT::Gauge,
       &Use<&U::pids>, nullptr},
      {"evonic_sandbox_pids_limit",
       "Process limit of the sandbox (--pids-limit); absent when unlimited." SNAP, MT::Gauge,
       [](const Sandbox& s) { return s.limits.pids; }, nullptr},
      {"evonic_sandbox_start_time_seconds",
       "When the sandbox container started, in seconds since the Unix epoch." SNAP, MT::Gauge,
       [](const Sandbox& s) { return s.start_time_seconds; }, nullptr},
      // Pool.
      {"evonic_sandbox_pool_containers", "Live sandbox containers on this engine." SNAP, MT::Gauge,
       nullptr,
       [](const RenderInput& in, Samples& out) {
         if (in.snapshot.status.docker_up) {
           Add(out, MT::Gauge, static_cast<double>(in.snapshot.sandboxes.size()));
         }
       }},
      {"evonic_sandbox_pool_max_containers",
       "Evonic's SANDBOX_MAX_CONTAINERS: the most sandboxes the pool may hold." SNAP, MT::Gauge,
       nullptr,
       [](const RenderInput& in, Samples& out) {
         Add(out, MT::Gauge, in.snapshot.pool_max_containers);
       }},
      // Alerting: the resolved per-agent thresholds the alert rules join on(agent_id).
      {"evonic_sandbox_alert_threshold_ratio",
       "Alert threshold per live agent and resource (cpu, memory), as a ratio of the sandbox's "
       "limit: the agent's override in --thresholds.file, else its default, else 0.9. Re-read on "
       "SIGHUP." SNAP,
       MT::Gauge, nullptr,
       [](const RenderInput& in, Samples& out) {
         const AlertThresholds defaults;
         const AlertThresholds& t = in.thresholds != nullptr ? *in.thresholds : defaults;
         std::set<std::string> agents;
         for (const Sandbox& s : in.snapshot.sandboxes) agents.insert(s.agent_id);
         for (const std::string& agent : agents) {
           for (const char* resource : model::kThresholdResources) {
             out.push_back(Sample(MT::Gauge, t.For(agent, resource),
                                  {{kAgentLabel, agent}, {"resource", resource}}));
           }
         }
       }},
      // From the engine's event stream: per agent, for the life of the process (0 from the
      // agent's first sighting: a sandbox, an event or Evonic's database).
      {"evonic_sandbox_oom_kills_total",
       "OOM kills in the agent's sandboxes (the engine's oom events), since the exporter started.",
       MT::Counter, nullptr,
       [](const RenderInput& in, Samples& out) {
         event_samples::PerAgent(in, out, &model::AgentEventCounters::oom_kills);
       }},
      {"evonic_sandbox_created_total",
       "Sandbox containers created for the agent, since the exporter started.", MT::Counter,
       nullptr,
       [](const RenderInput& in, Samples& out) {
         event_samples::PerAgent(in, out, &model::AgentEventCounters::created);
       }},
      {"evonic_sandbox_destroyed_total",
       "Sandbox containers of the agent removed, since the exporter started.", MT::Counter, nullptr,
       [](const RenderInput& in, Samples& out) {
         event_samples::PerAgent(in, out, &model::AgentEventCounters::destroyed);
       }},
      {"evonic_sandbox_endings_total",
       "Sandboxes of the agent that stopped running (their die events), since the exporter "
       "started, by reason: removed (the engine was asked to end it: docker rm -f, as Evonic's "
       "idle timeout and LRU eviction do, or stop, kill), oom (it ended non-zero after an OOM "
       "kill in it), error (it ended by itself non-zero), clean (it ended by itself with 0).",
       MT::Counter, nullptr, &event_samples::PerAgentEnding},
      {"evonic_sandbox_tool_executions_total",
       "Finished tool executions in the agent's sandboxes, by tool: bash (bash ...), python "
       "(python3/python ..., which includes Evonic's helper discovery call) or other.",
       MT::Counter, nullptr,
       [](const RenderInput& in, Samples& out) {
         event_samples::PerAgentTool(in, out, &model::ToolCounters::runs);
       }},
      {"evonic_sandbox_tool_failures_total",
       "Finished tool executions that exited with a code other than 0, by tool.", MT::Counter,
       nullptr,
       [](const RenderInput& in, Samples& out) {
         event_samples::PerAgentTool(in, out, &model::ToolCounters::failures);
       }},
      {"evonic_sandbox_tool_duration_seconds",
       "Duration of tool executions from exec_start to exec_die, in seconds, by tool.",
       MT::Histogram, nullptr, &event_samples::ToolDurationHistogram},
      {"evonic_sandbox_exporter_events_up",
       "1 while the exporter follows the engine's event stream, else 0.", MT::Gauge, nullptr,
       &event_samples::Up},
      {"evonic_sandbox_exporter_events_reconnects_total",
       "Times the event stream was connected again after it broke.", MT::Counter, nullptr,
       [](const RenderInput& in, Samples& out) {
         event_samples::Status(in, out, MT::Counter, &model::EventsStatus::reconnects_total);
       }},
      {"evonic_sandbox_exporter_events_lost_total",
       "Reconnects after which events may have been lost: the engine's 256-event replay no longer "
       "reached the last event seen (or the engine restarted). Collections repair the state.",
       MT::Counter, nullptr,
       [](const RenderInput& in, Samples& out) {
         event_samples::Status(in, out, MT::Counter, &model::EventsStatus::lost_total);
       }},
      {"evonic_sandbox_exporter_events_repairs_total",
       "Sandboxes on which a collection's container list and the events disagreed (a missed "
       "start or destroy), each repaired.",
       MT::Counter, nullptr,
       [](const RenderInput& in, Samples& out) {
         event_samples::Status(in, out, MT::Counter, &model::EventsStatus::repairs_total);
       }},
      {"evonic_sandbox_exporter_events_dropped_total",
       "Event lines dropped because the processor's queue was full.", MT::Counter, nullptr,
       [](const RenderInput& in, Samples& out) {
         event_samples::Status(in, out, MT::Counter, &model::EventsStatus::queue_drops_total);
       }},
      {"evonic_sandbox_exporter_events_malformed_total",
       "Lines of the event stream that were not a usable container event.", MT::Counter, nullptr,
       [](const RenderInput& in, Samples& out) {
         event_samples::Status(in, out, MT::Counter, &model::EventsStatus::malformed_total);
       }},
      {"evonic_sandbox_exporter_events_tracked_objects",
       "Live execs and sandboxes the event processor holds state for.", MT::Gauge, nullptr,
       [](const RenderInput& in, Samples& out) {
         event_samples::Status(in, out, MT::Gauge, &model::EventsStatus::tracked_objects);
       }},
      // The exporter itself.
      {"evonic_sandbox_exporter_build_info",
       "The exporter's version and source revision; always 1.", MT::Gauge, nullptr,
       [](const RenderInput& in, Samples& out) {
         out.push_back(Sample(MT::Gauge, 1,
                              {{"revision", in.build.revision}, {"version", in.build.version}}));
       }},
      {"evonic_sandbox_exporter_docker_up",
       "1 if the Docker engine answered the last collection's container list, else 0." SNAP,
       MT::Gauge, nullptr,
       [](const RenderInput& in, Samples& out) {
         Add(out, MT::Gauge, Status(in).docker_up ? 1 : 0);
       }},
      {"evonic_sandbox_exporter_collect_duration_seconds",
       "Wall time of the last collection cycle, in seconds." SNAP, MT::Gauge, nullptr,
       [](const RenderInput& in, Samples& out) {
         Add(out, MT::Gauge, Status(in).collect_duration_seconds);
       }},
      {"evonic_sandbox_exporter_collect_interval_seconds",
       "The configured time between the starts of two collection cycles, in seconds.", MT::Gauge,
       nullptr,
       [](const RenderInput& in, Samples& out) {
         Add(out, MT::Gauge, Status(in).collect_interval_seconds);
       }},
      {"evonic_sandbox_exporter_last_collect_timestamp_seconds",
       "When the last collection cycle ended, in seconds since the Unix epoch; 0 before the "
       "first." SNAP,
       MT::Gauge, nullptr,
       [](const RenderInput& in, Samples& out) {
         Add(out, MT::Gauge, Status(in).last_collect_timestamp_seconds);
       }},
      {"evonic_sandbox_exporter_collect_errors_total",
       "Engine requests that failed or gave unusable answers, since the exporter started." SNAP,
       MT::Counter, nullptr,
       [](const RenderInput& in, Samples& out) {
         Add(out, MT::Counter, Status(in).collect_errors_total);
       }},
      {"evonic_sandbox_exporter_collect_overruns_total",
       "Collection cycles that took longer than the interval; the next started late." SNAP,
       MT::Counter, nullptr,
       [](const RenderInput& in, Samples& out) {
         Add(out, MT::Counter, Status(in).collect_overruns_total);
       }},
      {"evonic_sandbox_exporter_unmatched_containers",
       "Live sandboxes whose agent and session no label or name rule gave; exported as "
       "agent_id=\"unknown\" with the container name as session_id." SNAP,
       MT::Gauge, nullptr,
       [](const RenderInput& in, Samples& out) {
         if (Status(in).docker_up) Add(out, MT::Gauge, Status(in).unmatched_containers);
       }},
      {"evonic_sandbox_exporter_stats_source",
       "1 for the source of the sandboxes' counters (--collector.stats-source): cgroupfs (read "
       "directly) or engine (the stats API); absent until the first cycle chose." SNAP,
       MT::Gauge, nullptr,
       [](const RenderInput& in, Samples& out) {
         const std::string& source = Status(in).stats_source;
         if (source.empty()) return;
         for (const char* s : {"cgroupfs", "engine"}) {
           out.push_back(Sample(MT::Gauge, source == s ? 1 : 0, {{"source", s}}));
         }
       }},
      {"evonic_sandbox_exporter_stats_source_checks_total",
       "cgroupfs readings checked against the engine's stats answer for the same sandbox (one "
       "every 10 s at most), by result: agreed or disagreed." SNAP,
       MT::Counter, nullptr,
       [](const RenderInput& in, Samples& out) {
         out.push_back(
             Sample(MT::Counter, Status(in).stats_checks_agreed_total, {{"result", "agreed"}}));
         out.push_back(Sample(MT::Counter, Status(in).stats_checks_disagreed_total,
                              {{"result", "disagreed"}}));
       }},
      // Evonic's database (present only with --evonic.root).
      {"evonic_sandbox_exporter_evonic_db_up",
       "1 if the last refresh read Evonic's database (--evonic.root), else 0 (the last good view "
       "of agents and sessions is kept)." SNAP,
       MT::Gauge, nullptr,
       [](const RenderInput& in, Samples& out) {
         if (in.snapshot.evonic) Add(out, MT::Gauge, in.snapshot.evonic->db_up ? 1 : 0);
       }},
      {"evonic_sandbox_exporter_sessions_not_in_evonic_db",
       "Live sandboxes whose session Evonic's database does not have; exported with the name "
       "rule's identity." SNAP,
       MT::Gauge, nullptr,
       [](const RenderInput& in, Samples& out) {
         if (in.snapshot.evonic && Status(in).docker_up) {
           Add(out, MT::Gauge, Status(in).sessions_not_in_evonic_db);
         }
       }},
      // The web server's authentication (REST always, /metrics when users are configured).
      {"evonic_sandbox_exporter_auth_failures_total",
       "Requests refused for their credentials, by reason: missing_credentials, "
       "malformed_credentials, unknown_user, wrong_password, no_users_configured." SNAP,
       MT::Counter, nullptr,
       [](const RenderInput& in, Samples& out) {
         if (in.auth == nullptr) return;
         const model::AuthCounts& a = *in.auth;
         for (const auto& [reason, n] :
              {std::pair<const char*, std::uint64_t>{"missing_credentials", a.missing},
               {"malformed_credentials", a.malformed},
               {"unknown_user", a.unknown_user},
               {"wrong_password", a.wrong_password},
               {"no_users_configured", a.no_users}}) {
           out.push_back(Sample(MT::Counter, static_cast<double>(n), {{"reason", reason}}));
         }
       }},
      {"evonic_sandbox_exporter_auth_overload_rejections_total",
       "Requests answered 429 without checking their password, by cause: bcrypt_busy (every "
       "bcrypt slot taken), address_busy (the client's address has a check running), "
       "address_throttled (the address failed too often lately)." SNAP,
       MT::Counter, nullptr,
       [](const RenderInput& in, Samples& out) {
         if (in.auth == nullptr) return;
         const model::AuthCounts& a = *in.auth;
         for (const auto& [cause, n] :
              {std::pair<const char*, std::uint64_t>{"bcrypt_busy", a.busy},
               {"address_busy", a.address_busy},
               {"address_throttled", a.address_throttled}}) {
           out.push_back(Sample(MT::Counter, static_cast<double>(n), {{"cause", cause}}));
         }
       }},
      // The connection gate in front of the HTTP workers.
      {"evonic_sandbox_exporter_http_connections",
       "Client connections now: active (handed to an HTTP worker) or waiting (held unread until "
       "their request head is complete and a worker is free)." SNAP,
       MT::Gauge, nullptr,
       [](const RenderInput& in, Samples& out) {
         if (in.connections == nullptr) return;
         out.push_back(Sample(MT::Gauge, in.connections->active, {{"state", "active"}}));
         out.push_back(Sample(MT::Gauge, in.connections->waiting, {{"state", "waiting"}}));
       }},
      {"evonic_sandbox_exporter_http_connections_accepted_total",
       "Client connections accepted." SNAP, MT::Counter, nullptr,
       [](const RenderInput& in, Samples& out) {
         if (in.connections) {
           Add(out, MT::Counter, static_cast<double>(in.connections->accepted));
         }
       }},
      {"evonic_sandbox_exporter_http_connections_closed_unserved_total",
       "Client connections closed without being served, by reason: client_waiting_full (the "
       "address had too many waiting), capacity (every waiting place or file descriptor taken), "
       "timeout (no complete request head, or no free worker, within 5 s)." SNAP,
       MT::Counter, nullptr,
       [](const RenderInput& in, Samples& out) {
         if (in.connections == nullptr) return;
         const model::ConnectionCounts& c = *in.connections;
         for (const auto& [reason, n] : {std::pair<const char*, std::uint64_t>{
                                             "client_waiting_full", c.refused_client_waiting},
                                         {"capacity", c.refused_capacity},
                                         {"timeout", c.expired}}) {
           out.push_back(Sample(MT::Counter, static_cast<double>(n), {{"reason", reason}}));
         }
       }},
      // The history file (--history.path).
      {"evonic_sandbox_exporter_history_writes_total",
       "Writes of every sandbox's figures to the history file." SNAP, MT::Counter, nullptr,
       [](const RenderInput& in, Samples& out) {
         if (in.history) Add(out, MT::Counter, static_cast<double>(in.history->writes));
       }},
      {"evonic_sandbox_exporter_history_write_errors_total",
       "Writes to the history file that failed (e.g. a full disk); serving goes on." SNAP,
       MT::Counter, nullptr,
       [](const RenderInput& in, Samples& out) {
         if (in.history) Add(out, MT::Counter, static_cast<double>(in.history->write_errors));
       }},
      {"evonic_sandbox_exporter_history_last_write_timestamp_seconds",
       "Unix time of the last successful write to the history file; 0 before the first." SNAP,
       MT::Gauge, nullptr,
       [](const RenderInput& in, Samples& out) {
         if (in.history) Add(out, MT::Gauge, in.history->last_write_seconds);
       }},
      // The standard process metrics.
      {"process_cpu_seconds_total", "Total user and system CPU time spent in seconds." SNAP,
       MT::Counter, nullptr,
       [](const RenderInput& in, Samples& out) { Add(out, MT::Counter, in.process.cpu_seconds); }},
      {"process_resident_memory_bytes", "Resident memory size in bytes." SNAP, MT::Gauge, nullptr,
       [](const RenderInput& in, Samples& out) {
         Add(out, MT::Gauge, in.process.resident_memory_bytes);
       }},
      {"process_virtual_memory_bytes", "Virtual memory size in bytes." SNAP, MT::Gauge, nullptr,
       [](const RenderInput& in, Samples& out) {
         Add(out, MT::Gauge, in.process.virtual_memory_bytes);
       }},
      {"process_open_fds", "Number of open file descriptors." SNAP, MT::Gauge, nullptr,
       [](const RenderInput& in, Samples& out) { Add(out, MT::Gauge, in.process.open_fds); }},
      {"process_max_fds", "Maximum number of open file descriptors.", MT::Gauge, nullptr,
       [](const RenderInput& in, Samples& out) { Add(out, MT::Gauge, in.process.max_fds); }},
      {"process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
       MT::Gauge, nullptr,
       [](const RenderInput& in, Samples& out) {
         Add(out, MT::Gauge, in.process.start_time_seconds);
       }},
  };
  return kTable;
}

#undef SNAP

}  // namespace evonic::exporter
