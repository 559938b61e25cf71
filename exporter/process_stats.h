#pragma once
// The standard process_* metrics' values, read from procfs (prometheus-cpp has no such collector).

#include <optional>
#include <string>

namespace evonic::exporter {

struct ProcessStats {
  std::optional<double> cpu_seconds;
  std::optional<double> resident_memory_bytes;
  std::optional<double> virtual_memory_bytes;
  std::optional<double> open_fds;
  std::optional<double> max_fds;
  std::optional<double> start_time_seconds;
};

/// Reads this process's figures from `procfs` (normally "/proc"). A figure that cannot be read is
/// absent. Thread-safe (no shared state).
ProcessStats ReadProcessStats(const std::string& procfs);

}  // namespace evonic::exporter
