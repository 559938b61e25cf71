#include "collectors/pipeline/stats_check.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <sstream>

namespace evonic::collectors {

namespace {

// Whether `v` lies in [min(a, b) - margin, max(a, b) + margin]; else the description.
std::string Bracket(const char* what, std::optional<std::uint64_t> a,
                    std::optional<std::uint64_t> v, std::optional<std::uint64_t> b, double margin) {
  if (!a || !v || !b) return "";
  const double lo = static_cast<double>(std::min(*a, *b)) - margin;
  const double hi = static_cast<double>(std::max(*a, *b)) + margin;
  const double x = static_cast<double>(*v);
  if (x >= lo && x <= hi) return "";
  std::ostringstream s;
  s << what << ": engine " << *v << ", cgroupfs " << std::min(*a, *b) << ".." << std::max(*a, *b);
  return s.str();
}

}  // namespace

std::string CompareWithEngine(const StatsReading& before, const StatsReading& engine,
                              const StatsReading& after, const CheckTolerance& tolerance) {
  std::string d = Bracket("cpu usage ns", before.cpu.total_ns, engine.cpu.total_ns,
                          after.cpu.total_ns, tolerance.cpu_ns);
  if (d.empty() && before.memory_usage && after.memory_usage) {
    const double larger = static_cast<double>(std::max(*before.memory_usage, *after.memory_usage));
    d = Bracket("memory usage bytes", before.memory_usage, engine.memory_usage, after.memory_usage,
                larger * tolerance.memory_fraction + tolerance.memory_bytes);
  }
  if (d.empty()) {
    d = Bracket("memory limit bytes", before.memory_limit, engine.memory_limit, after.memory_limit,
                0);
  }
  if (d.empty()) {
    // A counter the engine reads from the same file: exact (v1 only; v2's engine has none).
    d = Bracket("memory limit hits", before.memory_limit_hits, engine.memory_limit_hits,
                after.memory_limit_hits, 0);
  }
  if (d.empty()) d = Bracket("pids", before.pids, engine.pids, after.pids, tolerance.pids);
  return d;
}

}  // namespace evonic::collectors
