#pragma once
// Reads the exporter's own process figures from procfs.

#include <string>

#include "model/process_stats.h"

namespace evonic::exporter {

/// Reads this process's figures from `procfs` (normally "/proc", --path.procfs). A figure that
/// cannot be read is absent. Thread-safe (no shared state).
model::ProcessStats ReadProcessStats(const std::string& procfs);

}  // namespace evonic::exporter
