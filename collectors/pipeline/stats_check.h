#pragma once
// "Trust but verify" for the cgroupfs source: the engine's stats answer for a sandbox must lie
// between two cgroupfs readings of it, one taken just before the request and one just after.

#include <string>

#include "collectors/docker/stats_parser.h"

namespace evonic::collectors {

/// How far the engine's value may lie outside the two readings before it counts as a
/// disagreement. The engine reads the same files between the two readings, so counters (CPU)
/// agree exactly; memory and PIDs move on their own, hence a margin. The real-engine tests show
/// the margins hold on idle and busy sandboxes (tests/e2e/test_stats_sources.py).
struct CheckTolerance {
  double cpu_ns = 5e6;                // 5 ms of CPU time
  double memory_fraction = 0.01;      // 1 % of the larger reading ...
  double memory_bytes = 1024 * 1024;  // ... plus 1 MiB
  double pids = 2;
};

/// Empty when `engine` agrees with the cgroupfs readings `before` and `after`; otherwise what
/// disagrees, e.g. "memory usage: engine 10485760, cgroupfs 5242880..5242880". Values absent on
/// either side are not compared.
std::string CompareWithEngine(const StatsReading& before, const StatsReading& engine,
                              const StatsReading& after, const CheckTolerance& tolerance = {});

}  // namespace evonic::collectors
