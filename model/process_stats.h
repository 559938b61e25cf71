#pragma once
// The standard process_* metrics' values (prometheus-cpp has no such collector); read from procfs
// by exporter/process_stats.h. Plain values.

#include <optional>

namespace evonic::model {

struct ProcessStats {
  std::optional<double> cpu_seconds;
  std::optional<double> resident_memory_bytes;
  std::optional<double> virtual_memory_bytes;
  std::optional<double> open_fds;
  std::optional<double> max_fds;
  std::optional<double> start_time_seconds;
};

}  // namespace evonic::model
