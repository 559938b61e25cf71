#pragma once
// Reads a sandbox's counters straight from cgroupfs (and procfs), the files the engine itself
// reads for its stats answer, into the same StatsReading the engine's answer is parsed into.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

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

/// \brief The cgroup files of earlier reads, held open so that reading one again is a single pread
/// from its start (where the kernel makes a cgroup file's content anew) instead of openat, read,
/// read and close: the opens and closes were half of the exporter's CPU at 200 sandboxes with a
/// 1 s interval. A removed cgroup is noticed (its directory has no link left, or a held file
/// answers an error such as ENODEV) and then read again by path, so a re-created cgroup is read
/// afresh and a vanished one is gone. At most a quarter of the process's soft RLIMIT_NOFILE is
/// held (v1: up to 15 descriptors per sandbox, v2: 9); past that, files are opened for each read as
/// without it. Not thread-safe: one per reading thread.
class KeptFiles {
 public:
  KeptFiles();
  ~KeptFiles();
  KeptFiles(const KeptFiles&) = delete;
  KeptFiles& operator=(const KeptFiles&) = delete;

  /// Closes the files of every directory not read since the last call (at a cycle's end).
  void CloseUnused();
  /// Descriptors held now.
  std::size_t held() const { return held_; }

 private:
  friend class detail::Dir;
  friend class CgroupReader;
  struct Directory {
    int fd = -1;
    std::unordered_map<std::string, int> files;  // by name, in this directory
    bool used = true;                            // read since the last CloseUnused()
    bool broken = false;                         // a held file failed: to be dropped
  };
  void Drop(std::unordered_map<std::string, Directory>::iterator it);

  std::unordered_map<std::string, Directory> dirs_;  // by path
  std::size_t held_ = 0;
  std::size_t max_held_;
  bool stale_ = false;  // a held file of the current read failed
};

/// One sandbox as cgroupfs shows it.
struct CgroupRead {
  bool gone = false;  // its cgroup directory does not exist (never made, or removed)
  std::optional<StatsReading> reading;  // absent only when gone
  std::string problem;  // files that were missing or unreadable, for the log; empty when none
};

/// \brief Reads cgroup v1 or v2 counters of one container with the engine's formulas.
///
/// Stateless apart from its paths: Read() is safe from any thread (a KeptFiles it is given belongs
/// to the calling thread). The network counters come from
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
  /// `kept`: the cgroup files are read through it (held open for the next read); null: opened
  /// and closed by this read.
  CgroupRead Read(const std::string& path, const HostSample& host, double now_seconds,
                  std::int64_t network_pid, KeptFiles* kept = nullptr) const;

  const CgroupLayout& layout() const { return layout_; }
  const HostPaths& paths() const { return paths_; }

 private:
  CgroupRead ReadOnce(const std::string& path, const HostSample& host, double now_seconds,
                      std::int64_t network_pid, KeptFiles* kept) const;
  void ReadV1(const std::string& path, const detail::Dir& memory, KeptFiles* kept, StatsReading& r,
              std::string& problem) const;
  void ReadV2(const detail::Dir& dir, StatsReading& r, std::string& problem) const;

  HostPaths paths_;
  CgroupLayout layout_;
  long clock_ticks_;
};

}  // namespace evonic::collectors::cgroupfs
