#include "collectors/docker/stats_parser.h"

#include <nlohmann/json.hpp>

#include "collectors/docker/json_fields.h"

namespace evonic::collectors {

namespace {

using nlohmann::json;

constexpr double kNanos = 1e9;

CpuSample ParseCpu(const json* cpu_stats) {
  CpuSample s;
  if (cpu_stats == nullptr) return s;
  if (const json* usage = ObjectField(*cpu_stats, "cpu_usage")) {
    s.total_ns = UintField(*usage, "total_usage");
    s.online_cpus = UintField(*cpu_stats, "online_cpus");
    if (!s.online_cpus || *s.online_cpus == 0) {
      // Older engines leave online_cpus out; docker stats then counts percpu_usage.
      const json* percpu = ArrayField(*usage, "percpu_usage");
      s.online_cpus = percpu != nullptr && !percpu->empty()
                          ? std::optional<std::uint64_t>(percpu->size())
                          : std::nullopt;
    }
  }
  s.system_ns = UintField(*cpu_stats, "system_cpu_usage");
  return s;
}

std::optional<model::NetworkCounters> ParseNetworks(const json& root) {
  const json* networks = ObjectField(root, "networks");
  if (networks == nullptr) return std::nullopt;
  model::NetworkCounters sum;
  struct Field {
    const char* key;
    double model::NetworkCounters::*member;
  };
  static constexpr Field kFields[] = {
      {"rx_bytes", &model::NetworkCounters::receive_bytes},
      {"tx_bytes", &model::NetworkCounters::transmit_bytes},
      {"rx_packets", &model::NetworkCounters::receive_packets},
      {"tx_packets", &model::NetworkCounters::transmit_packets},
      {"rx_errors", &model::NetworkCounters::receive_errors},
      {"tx_errors", &model::NetworkCounters::transmit_errors},
      {"rx_dropped", &model::NetworkCounters::receive_dropped},
      {"tx_dropped", &model::NetworkCounters::transmit_dropped},
  };
  for (const auto& [name, iface] : networks->items()) {
    (void)name;
    for (const Field& f : kFields) {
      auto v = UintField(iface, f.key);
      if (!v) return std::nullopt;  // one unusable interface makes the sum wrong: no value at all
      sum.*f.member += static_cast<double>(*v);
    }
  }
  return sum;
}

// Sums io_service_bytes_recursive by operation the way docker stats does: ops starting with
// r/R are reads, w/W writes; Sync, Async, Discard and Total are ignored.
void ParseBlockIo(const json& root, StatsReading& r) {
  const json* blkio = ObjectField(root, "blkio_stats");
  if (blkio == nullptr) return;
  const json* entries = ArrayField(*blkio, "io_service_bytes_recursive");
  if (entries == nullptr) return;
  std::uint64_t read = 0, write = 0;
  for (const json& e : *entries) {
    auto op = StringField(e, "op");
    if (!op || op->empty()) continue;
    auto value = UintField(e, "value");
    char c = (*op)[0];
    bool is_read = c == 'r' || c == 'R', is_write = c == 'w' || c == 'W';
    if (!is_read && !is_write) continue;
    if (!value) return;  // an unusable entry: no value rather than a partial sum
    (is_read ? read : write) += *value;
  }
  r.block_read_bytes = read;
  r.block_write_bytes = write;
}

// RSS, cache, swap and limit hits; which keys hold them depends on the cgroup version, told
// by the keys themselves (v1's memory.stat always has total_cache, v2's never).
void ParseMemoryBreakdown(const json& memory, const json& stats, StatsReading& r) {
  if (stats.contains("total_cache")) {
    r.memory_rss = UintField(stats, "total_rss");
    r.memory_cache = UintField(stats, "total_cache");
    r.memory_swap = UintField(stats, "total_swap");  // older engines; Docker 20.10 leaves it out
    // The engine leaves failcnt out when it is 0 (omitempty).
    r.memory_limit_hits =
        memory.contains("failcnt") ? UintField(memory, "failcnt") : std::optional<std::uint64_t>(0);
  } else {
    // v2 has no swap here, and its failcnt (newer engines) is memory.events `oom`, not `max`.
    r.memory_rss = UintField(stats, "anon");
    r.memory_cache = UintField(stats, "file");
  }
}

}  // namespace

StatsParseResult ParseStats(std::string_view body) {
  StatsParseResult result;
  json root = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) {
    result.error = "stats answer is not valid JSON";
    return result;
  }
  if (!root.is_object()) {
    result.error = "stats answer is not a JSON object";
    return result;
  }
  StatsReading r;
  auto read = StringField(root, "read");
  if (!read) {
    result.error = "stats answer has no read time";
    return result;
  }
  if (read->rfind("0001-01-01T00:00:00", 0) == 0) {
    r.stopped = true;
    result.reading = r;
    return result;
  }
  r.read_time_seconds = ParseRfc3339(*read);
  const json* cpu_stats = ObjectField(root, "cpu_stats");
  r.cpu = ParseCpu(cpu_stats);
  r.precpu = ParseCpu(ObjectField(root, "precpu_stats"));
  if (cpu_stats != nullptr) {
    if (const json* usage = ObjectField(*cpu_stats, "cpu_usage")) {
      r.cpu_user_ns = UintField(*usage, "usage_in_usermode");
      r.cpu_kernel_ns = UintField(*usage, "usage_in_kernelmode");
    }
    if (const json* throttling = ObjectField(*cpu_stats, "throttling_data")) {
      r.cpu_periods = UintField(*throttling, "periods");
      r.cpu_throttled_periods = UintField(*throttling, "throttled_periods");
      r.cpu_throttled_ns = UintField(*throttling, "throttled_time");
    }
  }
  if (const json* memory = ObjectField(root, "memory_stats")) {
    r.memory_usage = UintField(*memory, "usage");
    r.memory_limit = UintField(*memory, "limit");
    if (const json* stats = ObjectField(*memory, "stats")) {
      r.memory_total_inactive_file = UintField(*stats, "total_inactive_file");
      r.memory_inactive_file = UintField(*stats, "inactive_file");
      ParseMemoryBreakdown(*memory, *stats, r);
    }
  }
  r.network = ParseNetworks(root);
  ParseBlockIo(root, r);
  if (const json* pids = ObjectField(root, "pids_stats")) r.pids = UintField(*pids, "current");
  result.reading = r;
  return result;
}

std::optional<double> CpuUtilization(const CpuSample& now, const CpuSample& before) {
  if (!now.total_ns || !now.system_ns || !before.total_ns || !before.system_ns ||
      !now.online_cpus || *before.system_ns == 0) {
    return std::nullopt;
  }
  if (*now.system_ns <= *before.system_ns) return std::nullopt;  // no time passed
  if (*now.total_ns < *before.total_ns) return std::nullopt;     // counter reset: restart
  double cpu_delta = static_cast<double>(*now.total_ns - *before.total_ns);
  double system_delta = static_cast<double>(*now.system_ns - *before.system_ns);
  return cpu_delta / system_delta * static_cast<double>(*now.online_cpus);
}

std::optional<double> MemoryUsedBytes(const StatsReading& r) {
  if (!r.memory_usage) return std::nullopt;
  std::uint64_t usage = *r.memory_usage;
  // The order and the comparisons are docker CLI's calculateMemUsageUnixNoCache.
  if (r.memory_total_inactive_file && *r.memory_total_inactive_file < usage) {
    return static_cast<double>(usage - *r.memory_total_inactive_file);
  }
  if (r.memory_inactive_file && *r.memory_inactive_file < usage) {
    return static_cast<double>(usage - *r.memory_inactive_file);
  }
  return static_cast<double>(usage);
}

model::SandboxUsage ComputeUsage(const StatsReading& r, const StatsReading* previous,
                                 const std::string& network_mode) {
  auto seconds = [](std::optional<std::uint64_t> ns) -> std::optional<double> {
    if (!ns) return std::nullopt;
    return static_cast<double>(*ns) / kNanos;
  };
  auto number = [](std::optional<std::uint64_t> v) -> std::optional<double> {
    if (!v) return std::nullopt;
    return static_cast<double>(*v);
  };
  model::SandboxUsage u;
  u.cpu_seconds = seconds(r.cpu.total_ns);
  u.cpu_user_seconds = seconds(r.cpu_user_ns);
  u.cpu_system_seconds = seconds(r.cpu_kernel_ns);
  // The engine's own previous sample when it sent one; else ours (one-shot answers).
  if (r.precpu.system_ns && *r.precpu.system_ns > 0) {
    u.cpu_utilization_ratio = CpuUtilization(r.cpu, r.precpu);
  } else if (previous != nullptr && !previous->stopped) {
    u.cpu_utilization_ratio = CpuUtilization(r.cpu, previous->cpu);
  }
  u.cpu_periods = number(r.cpu_periods);
  u.cpu_throttled_periods = number(r.cpu_throttled_periods);
  u.cpu_throttled_seconds = seconds(r.cpu_throttled_ns);
  u.memory_used_bytes = MemoryUsedBytes(r);
  u.memory_usage_bytes = number(r.memory_usage);
  u.memory_rss_bytes = number(r.memory_rss);
  u.memory_cache_bytes = number(r.memory_cache);
  u.memory_swap_bytes = number(r.memory_swap);
  u.memory_limit_hits = number(r.memory_limit_hits);
  u.memory_limit_bytes = number(r.memory_limit);
  if (r.network) {
    u.network = r.network;
  } else if (network_mode == "none") {
    u.network = model::NetworkCounters{};  // no interface but loopback: nothing can be counted
  }
  u.block_read_bytes = number(r.block_read_bytes);
  u.block_write_bytes = number(r.block_write_bytes);
  u.pids = number(r.pids);
  return u;
}

}  // namespace evonic::collectors
