#pragma once
// Pure parsing of the cgroupfs and procfs files the cgroupfs stats source reads. No I/O; safe to
// call from any thread. Every parser returns nullopt for content it does not recognise rather
// than a guess: the value is then absent for that cycle, as with an unusable engine answer.

#include <cstdint>
#include <optional>
#include <string_view>

#include "model/snapshot.h"

namespace evonic::collectors::cgroupfs {

/// A file holding one unsigned number ("123\n"), e.g. cpuacct.usage, memory.current,
/// pids.current. "max" (cgroup v2's "no limit") is nullopt.
std::optional<std::uint64_t> ParseSingleValue(std::string_view text);

/// The value of `key` in a flat-keyed file ("key value" per line), e.g. cpu.stat, memory.stat,
/// cpuacct.stat. The whole key must match (inactive_file is not total_inactive_file).
std::optional<std::uint64_t> FlatKeyedValue(std::string_view text, std::string_view key);

/// Bytes read and written, summed over devices.
struct BlockBytes {
  std::uint64_t read = 0;
  std::uint64_t write = 0;
};
/// cgroup v1 blkio.*io_service_bytes_recursive ("8:0 Read 4096" lines and a "Total" line); ops are
/// summed the way the engine reports them and docker stats adds them (Read/Write, any case).
/// nullopt when a device line is malformed; zeros when there are no device lines.
std::optional<BlockBytes> ParseBlkioServiceBytes(std::string_view text);
/// cgroup v2 io.stat ("8:0 rbytes=1 wbytes=2 rios=3 ..." per device).
std::optional<BlockBytes> ParseIoStat(std::string_view text);

/// What /proc/stat says of the host, as the engine reads it for `system_cpu_usage`: the first
/// seven fields of the "cpu" line (user to softirq) in nanoseconds, and the number of "cpuN" lines.
struct HostCpu {
  std::uint64_t system_ns = 0;
  std::uint64_t online_cpus = 0;
};
std::optional<HostCpu> ParseProcStat(std::string_view text, long clock_ticks_per_second);

/// MemTotal of /proc/meminfo, in bytes: the engine's limit for a sandbox without one.
std::optional<std::uint64_t> ParseMemTotal(std::string_view text);

/// The sum of every interface but loopback in /proc/<pid>/net/dev (the engine counts the
/// sandbox's endpoints, never `lo`).
std::optional<model::NetworkCounters> ParseNetDev(std::string_view text);

}  // namespace evonic::collectors::cgroupfs
