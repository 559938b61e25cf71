#pragma once
// Sandboxes and usages for tests and benchmarks, built in one expression instead of field by
// field:
//
//   model::Sandbox s = test::SandboxOf("admin", "admin-6f07b262").Id('a').EvonicName()
//                          .Image("evonic-sandbox:latest").Limits(1, 536870912, 256)
//                          .Usage(test::UsageOf().CpuRatio(0.15).Pids(28).Build()).Build();
//
// Guarantees: a field no setter was called for keeps the default of model::Sandbox /
// model::SandboxUsage (empty, false or absent; never a made-up value), so a test states every value
// it depends on. A setter sets exactly the fields it names, to exactly the values given. Build()
// returns a copy; the builder may be changed and built again. Header-only, no behaviour beyond
// this.

#include <initializer_list>
#include <optional>
#include <string>
#include <utility>

#include "model/snapshot.h"

namespace evonic::test {

/// \brief Fluent builder of one model::SandboxUsage (see the file comment for the guarantees).
class UsageBuilder {
 public:
  using U = model::SandboxUsage;
  /// cpu_seconds, cpu_user_seconds, cpu_system_seconds.
  UsageBuilder& CpuSeconds(double total, double user, double system) {
    return Set(
        {{&U::cpu_seconds, total}, {&U::cpu_user_seconds, user}, {&U::cpu_system_seconds, system}});
  }
  /// cpu_utilization_ratio (docker stats CPU % / 100).
  UsageBuilder& CpuRatio(double ratio) { return Set({{&U::cpu_utilization_ratio, ratio}}); }
  /// cpu_periods, cpu_throttled_periods, cpu_throttled_seconds.
  UsageBuilder& Throttling(double periods, double throttled_periods, double throttled_seconds) {
    return Set({{&U::cpu_periods, periods},
                {&U::cpu_throttled_periods, throttled_periods},
                {&U::cpu_throttled_seconds, throttled_seconds}});
  }
  /// memory_used_bytes and memory_limit_bytes (the stats answer's limit).
  UsageBuilder& Memory(double used, double limit) {
    return Set({{&U::memory_used_bytes, used}, {&U::memory_limit_bytes, limit}});
  }
  /// memory_usage_bytes, memory_rss_bytes, memory_cache_bytes, memory_swap_bytes and
  /// memory_limit_hits.
  UsageBuilder& MemoryBreakdown(double usage, double rss, double cache, double swap,
                                double limit_hits) {
    return Set({{&U::memory_usage_bytes, usage},
                {&U::memory_rss_bytes, rss},
                {&U::memory_cache_bytes, cache},
                {&U::memory_swap_bytes, swap},
                {&U::memory_limit_hits, limit_hits}});
  }
  /// network, as given (model::NetworkCounters{} is present with every counter at 0).
  UsageBuilder& Network(const model::NetworkCounters& counters) {
    u_.network = counters;
    return *this;
  }
  /// block_read_bytes and block_write_bytes.
  UsageBuilder& Block(double read, double write) {
    return Set({{&U::block_read_bytes, read}, {&U::block_write_bytes, write}});
  }
  /// pids.
  UsageBuilder& Pids(double pids) { return Set({{&U::pids, pids}}); }
  /// The usage built so far.
  model::SandboxUsage Build() const { return u_; }

 private:
  using Field = std::optional<double> U::*;
  UsageBuilder& Set(std::initializer_list<std::pair<Field, double>> fields) {
    for (const auto& [field, value] : fields) u_.*field = value;
    return *this;
  }
  model::SandboxUsage u_;
};

/// A usage builder with every field absent.
inline UsageBuilder UsageOf() { return UsageBuilder(); }

/// A usage with every field present and equal to `v`, each network counter included.
inline model::SandboxUsage UsageAll(double v) {
  return UsageOf()
      .CpuSeconds(v, v, v)
      .CpuRatio(v)
      .Throttling(v, v, v)
      .Memory(v, v)
      .MemoryBreakdown(v, v, v, v, v)
      .Network(model::NetworkCounters{v, v, v, v, v, v, v, v})
      .Block(v, v)
      .Pids(v)
      .Build();
}

/// \brief Fluent builder of one model::Sandbox (see the file comment for the guarantees).
class SandboxValueBuilder {
 public:
  using S = model::Sandbox;
  /// agent_id and session_id; every other field at its default.
  SandboxValueBuilder(std::string agent, std::string session) {
    s_.agent_id = std::move(agent);
    s_.session_id = std::move(session);
  }
  /// container_id: 64 times `c` (a full-length id).
  SandboxValueBuilder& Id(char c) { return Id(std::string(64, c)); }
  /// container_id, as given.
  SandboxValueBuilder& Id(std::string id) { return Set(&S::container_id, std::move(id)); }
  /// container_name, as given.
  SandboxValueBuilder& Name(std::string name) { return Set(&S::container_name, std::move(name)); }
  /// container_name "evonic-" + the session id, as Evonic names its sandboxes.
  SandboxValueBuilder& EvonicName() { return Name("evonic-" + s_.session_id); }
  /// image.
  SandboxValueBuilder& Image(std::string image) { return Set(&S::image, std::move(image)); }
  /// network_mode.
  SandboxValueBuilder& NetworkMode(std::string mode) {
    return Set(&S::network_mode, std::move(mode));
  }
  /// identity_matched = true (a label or name rule matched).
  SandboxValueBuilder& Matched() { return Set(&S::identity_matched, true); }
  /// limits: cpu_cores, memory_bytes, pids, all present.
  SandboxValueBuilder& Limits(double cpu_cores, double memory_bytes, double pids) {
    return Set(&S::limits, model::SandboxLimits{cpu_cores, memory_bytes, pids});
  }
  /// start_time_seconds.
  SandboxValueBuilder& StartedAt(double seconds) { return Set(&S::start_time_seconds, seconds); }
  /// usage, present.
  SandboxValueBuilder& Usage(const model::SandboxUsage& usage) { return Set(&S::usage, usage); }
  /// The sandbox built so far.
  model::Sandbox Build() const { return s_; }

 private:
  template <typename T, typename V>
  SandboxValueBuilder& Set(T S::*field, V&& value) {
    s_.*field = std::forward<V>(value);
    return *this;
  }
  model::Sandbox s_;
};

/// A sandbox builder for `agent`'s session `session`.
inline SandboxValueBuilder SandboxOf(std::string agent, std::string session) {
  return SandboxValueBuilder(std::move(agent), std::move(session));
}

}  // namespace evonic::test
