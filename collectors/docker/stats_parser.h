#pragma once
// Pure parsing of `GET /containers/{id}/stats?stream=false` answers (cgroup v1 and v2) into raw
// readings, and the arithmetic `docker stats` applies to them. No I/O; safe to call from any
// thread.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "model/snapshot.h"

namespace evonic::collectors {

/// Cumulative CPU counters of one sample.
struct CpuSample {
  std::optional<std::uint64_t> total_ns;   // cpu_usage.total_usage
  std::optional<std::uint64_t> system_ns;  // system_cpu_usage (host, all CPUs)
  std::optional<std::uint64_t> online_cpus;
};

/// The raw numbers of one stats answer. Every field is absent when the answer lacks it or holds
/// something unusable.
struct StatsReading {
  bool stopped = false;  // `read` is Go's zero time: the container is not running; no sample
  std::optional<double> read_time_seconds;
  CpuSample cpu;
  CpuSample precpu;  // the engine's previous sample; empty in one-shot answers
  std::optional<std::uint64_t> cpu_user_ns, cpu_kernel_ns;
  std::optional<std::uint64_t> cpu_periods, cpu_throttled_periods, cpu_throttled_ns;
  std::optional<std::uint64_t> memory_usage, memory_limit;
  std::optional<std::uint64_t> memory_total_inactive_file;  // cgroup v1
  std::optional<std::uint64_t> memory_inactive_file;        // cgroup v2 (and v1's own level)
  // The breakdown, each absent where the source lacks it (see README "Memory"):
  std::optional<std::uint64_t> memory_rss;    // v1 total_rss, v2 anon
  std::optional<std::uint64_t> memory_cache;  // v1 total_cache, v2 file
  std::optional<std::uint64_t> memory_swap;   // v1 total_swap (swap accounting on), v2 swap.current
  // Times usage hit the limit: v1 failcnt, v2 memory.events `max` (cgroupfs only: the engine's
  // v2 failcnt, where it sends one, is `oom`, a different count).
  std::optional<std::uint64_t> memory_limit_hits;
  std::optional<model::NetworkCounters> network;  // absent when there is no `networks`
  std::optional<std::uint64_t> block_read_bytes, block_write_bytes;
  std::optional<std::uint64_t> pids;
};

/// The result of parsing: a reading, or a one-line reason why there is none.
struct StatsParseResult {
  std::optional<StatsReading> reading;
  std::string error;
};

/// Parses one stats answer body. Never throws.
StatsParseResult ParseStats(std::string_view body);

/// CPU use as `docker stats` computes it, as a ratio (1 = one full core): (cpu delta / system
/// delta) x online CPUs. Absent when no time passed between the samples or the container's counter
/// went backwards (a restart).
std::optional<double> CpuUtilization(const CpuSample& now, const CpuSample& before);

/// Memory "used" as `docker stats` shows it: usage minus total_inactive_file (cgroup v1) or
/// inactive_file (v2) when that is smaller than usage, else usage.
std::optional<double> MemoryUsedBytes(const StatsReading& reading);

/// Turns a reading into exported values. `previous` is the exporter's own earlier reading of the
/// same container, used for CPU % when the answer is one-shot (no precpu). `network_mode` "none"
/// means network counters are zero rather than absent.
model::SandboxUsage ComputeUsage(const StatsReading& reading, const StatsReading* previous,
                                 const std::string& network_mode);

}  // namespace evonic::collectors
