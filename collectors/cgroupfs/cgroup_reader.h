#pragma once
// Reads a sandbox's counters straight from cgroupfs (and procfs), the files the engine itself
// reads for its stats answer, into the same StatsReading the engine's answer is parsed into.

#include <cstdint>
#include <optional>
#include <string>

#include "collectors/cgroupfs/cgroup_layout.h"
#include "collectors/docker/stats_parser.h"

namespace evonic::collectors::cgroupfs {

namespace detail {
class Dir;  // a directory held open (cgroup_reader.cc)
}  // namespace detail

/// Where the host's file systems are (flags --path.cgroupfs and --path.procfs), so that the
/// exporter can run in a container with the host's trees mounted read-only.
struct HostPaths {
  std::string cgroupfs = "/sys/fs/cgroup";
  std::string procfs = "/proc";
};

/// What the engine reads of the host for every stats answer, read once per cycle here.
struct HostSample {
  std::uint64_t system_ns = 0;                // /proc/stat, as the engine's system_cpu_usage
  std::uint64_t online_cpus = 0;              // "cpuN" lines of /proc/stat
  std::optional<std::uint64_t> memory_total;  // /proc/meminfo MemTotal: the limit of "no limit"
};

/// One sandbox as cgroupfs shows it.
struct CgroupRead {
  bool gone = false;  // its cgroup directory does not exist (never made, or removed)
  std::optional<StatsReading> reading;  // absent only when gone
  std::string problem;  // files that were missing or unreadable, for the log; empty when none
};

/// \brief Reads cgroup v1 or v2 counters of one container with the engine's formulas.
///
/// Stateless apart from its paths: Read() is safe from any thread. The network counters come from
/// /proc/<pid>/net/dev of the sandbox's init process, which needs the host's PID namespace.
class CgroupReader {
 public:
  CgroupReader(HostPaths paths, CgroupLayout layout);

  /// Whether the layout's hierarchy is mounted at the cgroupfs path; `why` says what is missing.
  bool HierarchyPresent(std::string* why) const;

  /// /proc/stat and /proc/meminfo; nullopt and `why` when they cannot be read.
  std::optional<HostSample> ReadHost(std::string* why) const;

  /// The container with cgroup `path` (ContainerCgroupPath), at the host figures `host`.
  /// `network_pid` > 0: also read /proc/<pid>/net/dev (for sandboxes with a network).
  CgroupRead Read(const std::string& path, const HostSample& host, double now_seconds,
                  std::int64_t network_pid) const;

  const CgroupLayout& layout() const { return layout_; }
  const HostPaths& paths() const { return paths_; }

 private:
  void ReadV1(const std::string& path, const detail::Dir& memory, StatsReading& r,
              std::string& problem) const;
  void ReadV2(const detail::Dir& dir, StatsReading& r, std::string& problem) const;

  HostPaths paths_;
  CgroupLayout layout_;
  long clock_ticks_;
};

}  // namespace evonic::collectors::cgroupfs
