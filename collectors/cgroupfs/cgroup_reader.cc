#include "collectors/cgroupfs/cgroup_reader.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <iterator>
#include <utility>

#include "collectors/cgroupfs/cgroup_files.h"

namespace evonic::collectors::cgroupfs {

namespace {

// The largest file read here is memory.stat (about 1 KiB) or a busy host's /proc/stat.
constexpr std::size_t kMaxFile = 256 * 1024;

// The whole of a small file (relative to `dir`, or absolute with AT_FDCWD); nullopt when it
// cannot be opened or read.
std::optional<std::string> SlurpAt(int dir, const char* name) {
  int fd = dir >= 0 || dir == AT_FDCWD ? openat(dir, name, O_RDONLY | O_CLOEXEC) : -1;
  if (fd < 0) return std::nullopt;
  std::string out;
  char buf[4096];
  while (out.size() <= kMaxFile) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      close(fd);
      return std::nullopt;
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  close(fd);
  return out;
}

// A held cgroup file read again from its start. A cgroup file is one seq_file record, which the
// kernel writes whole into a buffer large enough, so a read shorter than the buffer is the end:
// one pread for every file read here.
std::optional<std::string> PreadAll(int fd) {
  std::string out;
  char buf[8192];
  while (out.size() <= kMaxFile) {
    ssize_t n = pread(fd, buf, sizeof buf, static_cast<off_t>(out.size()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::nullopt;
    out.append(buf, static_cast<std::size_t>(n));
    if (static_cast<std::size_t>(n) < sizeof buf) break;
  }
  return out;
}

}  // namespace

namespace detail {

// A directory held open, so that its files are opened relative to it: one path walk per
// directory instead of one per file (the walks were a tenth of a cycle's CPU at 200 sandboxes).
// With KeptFiles, the directory and its files stay open in it between reads.
class Dir {
 public:
  enum class Check { kNone, kStillLinked };  // kStillLinked: a held directory removed is dropped

  Dir(const std::string& path, KeptFiles* kept, Check check = Check::kNone) : kept_(kept) {
    if (kept_ != nullptr) {
      auto it = kept_->dirs_.find(path);
      if (it != kept_->dirs_.end()) {
        struct stat st {};
        const bool removed =
            check == Check::kStillLinked && (fstat(it->second.fd, &st) != 0 || st.st_nlink == 0);
        if (!it->second.broken && !removed) {
          entry_ = &it->second;
          entry_->used = true;
          fd_ = entry_->fd;
          return;
        }
        kept_->Drop(it);
      }
    }
    fd_ = open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd_ >= 0 && kept_ != nullptr && kept_->held_ < kept_->max_held_) {
      entry_ = &kept_->dirs_[path];
      entry_->fd = fd_;
      ++kept_->held_;
    }
  }
  ~Dir() {
    if (entry_ == nullptr && fd_ >= 0) close(fd_);
  }
  Dir(const Dir&) = delete;
  Dir& operator=(const Dir&) = delete;
  bool ok() const { return fd_ >= 0; }

  // The whole of file `name` in this directory; nullopt when it cannot be opened or read.
  std::optional<std::string> Read(const char* name) const {
    if (entry_ == nullptr) return SlurpAt(fd_, name);
    if (entry_->broken) return std::nullopt;  // this cgroup is read again by path
    auto held = entry_->files.find(name);
    if (held != entry_->files.end()) {
      std::optional<std::string> text = PreadAll(held->second);
      if (!text) {  // ENODEV: the cgroup was removed (and perhaps made again)
        entry_->broken = true;
        kept_->stale_ = true;
      }
      return text;
    }
    const int fd = openat(fd_, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    std::optional<std::string> text = PreadAll(fd);
    if (text && kept_->held_ < kept_->max_held_) {
      entry_->files.emplace(name, fd);
      ++kept_->held_;
    } else {
      close(fd);
    }
    return text;
  }

 private:
  KeptFiles* kept_;
  KeptFiles::Directory* entry_ = nullptr;  // held in kept_: closed by it, not by this object
  int fd_ = -1;
};

}  // namespace detail

using detail::Dir;

KeptFiles::KeptFiles() {
  // A quarter: the rest is the web server's (the connection gate leaves this quarter out of its
  // waiting line) and SQLite's. The application raised the soft limit to the hard one before.
  rlimit limit{};
  max_held_ = getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY
                  ? static_cast<std::size_t>(limit.rlim_cur / 4)
                  : 1 << 16;
}

KeptFiles::~KeptFiles() {
  while (!dirs_.empty()) Drop(dirs_.begin());
}

void KeptFiles::Drop(std::unordered_map<std::string, Directory>::iterator it) {
  for (const auto& [name, fd] : it->second.files) close(fd);
  close(it->second.fd);
  held_ -= it->second.files.size() + 1;
  dirs_.erase(it);
}

void KeptFiles::CloseUnused() {
  for (auto it = dirs_.begin(); it != dirs_.end();) {
    auto next = std::next(it);
    if (!it->second.used || it->second.broken) {
      Drop(it);
    } else {
      it->second.used = false;
    }
    it = next;
  }
}

namespace {

std::optional<std::string> Slurp(const std::string& path) {
  return SlurpAt(AT_FDCWD, path.c_str());
}
std::optional<std::string> Slurp(const Dir& dir, const char* name) { return dir.Read(name); }

bool IsDirectory(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

void Note(std::string& problem, const std::string& file) {
  problem += problem.empty() ? "cgroupfs: cannot read " : ", ";
  problem += file;
}

// Reads `dir/file` and applies `parse`; notes the file when either fails.
template <typename Parse>
auto ReadValue(const Dir& dir, const char* file, std::string& problem, Parse parse)
    -> decltype(parse(std::string_view())) {
  auto text = Slurp(dir, file);
  if (!text) {
    Note(problem, file);
    return std::nullopt;
  }
  auto v = parse(std::string_view(*text));
  if (!v) Note(problem, file);
  return v;
}

std::optional<std::uint64_t> Scaled(std::optional<std::uint64_t> v, std::uint64_t factor) {
  if (!v || *v > UINT64_MAX / factor) return std::nullopt;
  return *v * factor;
}

}  // namespace

CgroupReader::CgroupReader(HostPaths paths, CgroupLayout layout)
    : paths_(std::move(paths)), layout_(layout), clock_ticks_(sysconf(_SC_CLK_TCK)) {}

bool CgroupReader::HierarchyPresent(std::string* why) const {
  if (layout_.version == 2) {
    if (access((paths_.cgroupfs + "/cgroup.controllers").c_str(), R_OK) == 0) return true;
    *why = paths_.cgroupfs + "/cgroup.controllers is not readable (no cgroup v2 hierarchy there)";
    return false;
  }
  for (const char* controller : {"cpuacct", "memory"}) {
    if (!IsDirectory(paths_.cgroupfs + "/" + controller)) {
      *why = paths_.cgroupfs + "/" + controller + " is not a directory (no cgroup v1 hierarchy)";
      return false;
    }
  }
  return true;
}

std::optional<HostSample> CgroupReader::ReadHost(std::string* why) const {
  HostSample host;
  auto stat = Slurp(paths_.procfs + "/stat");
  auto cpu = stat ? ParseProcStat(*stat, clock_ticks_) : std::nullopt;
  if (!cpu) {
    *why = paths_.procfs + "/stat: " + (stat ? "unexpected content" : "cannot read");
    return std::nullopt;
  }
  host.system_ns = cpu->system_ns;
  host.online_cpus = cpu->online_cpus;
  if (auto meminfo = Slurp(paths_.procfs + "/meminfo")) host.memory_total = ParseMemTotal(*meminfo);
  return host;
}

void CgroupReader::ReadV1(const std::string& path, const Dir& memory, KeptFiles* kept,
                          StatsReading& r, std::string& problem) const {
  const Dir cpuacct(paths_.cgroupfs + "/cpuacct/" + path, kept);
  const Dir cpu(paths_.cgroupfs + "/cpu/" + path, kept);
  r.cpu.total_ns = ReadValue(cpuacct, "cpuacct.usage", problem, ParseSingleValue);
  if (auto stat = Slurp(cpuacct, "cpuacct.stat")) {
    // USER_HZ ticks, turned into nanoseconds as runc does for the engine.
    const std::uint64_t ns_per_tick = clock_ticks_ > 0 ? 1000000000 / clock_ticks_ : 0;
    r.cpu_user_ns = Scaled(FlatKeyedValue(*stat, "user"), ns_per_tick);
    r.cpu_kernel_ns = Scaled(FlatKeyedValue(*stat, "system"), ns_per_tick);
  } else {
    Note(problem, "cpuacct.stat");
  }
  if (auto stat = Slurp(cpu, "cpu.stat")) {
    r.cpu_periods = FlatKeyedValue(*stat, "nr_periods");
    r.cpu_throttled_periods = FlatKeyedValue(*stat, "nr_throttled");
    r.cpu_throttled_ns = FlatKeyedValue(*stat, "throttled_time");
  } else {
    Note(problem, "cpu.stat");
  }
  r.memory_usage = ReadValue(memory, "memory.usage_in_bytes", problem, ParseSingleValue);
  r.memory_limit = ReadValue(memory, "memory.limit_in_bytes", problem, ParseSingleValue);
  if (auto stat = Slurp(memory, "memory.stat")) {
    r.memory_total_inactive_file = FlatKeyedValue(*stat, "total_inactive_file");
    r.memory_inactive_file = FlatKeyedValue(*stat, "inactive_file");
    r.memory_rss = FlatKeyedValue(*stat, "total_rss");
    r.memory_cache = FlatKeyedValue(*stat, "total_cache");
    r.memory_swap = FlatKeyedValue(*stat, "total_swap");  // only with swap accounting on
  } else {
    Note(problem, "memory.stat");
  }
  r.memory_limit_hits = ReadValue(memory, "memory.failcnt", problem, ParseSingleValue);
  // The engine takes the CFQ scheduler's file when it has entries, else the throttle one.
  const Dir blkio(paths_.cgroupfs + "/blkio/" + path, kept);
  std::optional<BlockBytes> block;
  if (auto cfq = Slurp(blkio, "blkio.io_service_bytes_recursive")) {
    auto parsed = ParseBlkioServiceBytes(*cfq);
    if (parsed && (parsed->read != 0 || parsed->write != 0)) block = parsed;
  }
  if (!block) {
    block = ReadValue(blkio, "blkio.throttle.io_service_bytes_recursive", problem,
                      ParseBlkioServiceBytes);
  }
  if (block) {
    r.block_read_bytes = block->read;
    r.block_write_bytes = block->write;
  }
  const Dir pids(paths_.cgroupfs + "/pids/" + path, kept);
  r.pids = ReadValue(pids, "pids.current", problem, ParseSingleValue);
}

void CgroupReader::ReadV2(const Dir& dir, StatsReading& r, std::string& problem) const {
  if (auto stat = Slurp(dir, "cpu.stat")) {
    r.cpu.total_ns = Scaled(FlatKeyedValue(*stat, "usage_usec"), 1000);
    r.cpu_user_ns = Scaled(FlatKeyedValue(*stat, "user_usec"), 1000);
    r.cpu_kernel_ns = Scaled(FlatKeyedValue(*stat, "system_usec"), 1000);
    r.cpu_periods = FlatKeyedValue(*stat, "nr_periods");
    r.cpu_throttled_periods = FlatKeyedValue(*stat, "nr_throttled");
    r.cpu_throttled_ns = Scaled(FlatKeyedValue(*stat, "throttled_usec"), 1000);
  } else {
    Note(problem, "cpu.stat");
  }
  r.memory_usage = ReadValue(dir, "memory.current", problem, ParseSingleValue);
  if (auto max = Slurp(dir, "memory.max")) {
    r.memory_limit = ParseSingleValue(*max);  // "max": no limit, the host's memory below
    if (!r.memory_limit) r.memory_limit = UINT64_MAX;
  } else {
    Note(problem, "memory.max");
  }
  if (auto stat = Slurp(dir, "memory.stat")) {
    r.memory_inactive_file = FlatKeyedValue(*stat, "inactive_file");
    r.memory_rss = FlatKeyedValue(*stat, "anon");
    r.memory_cache = FlatKeyedValue(*stat, "file");
  } else {
    Note(problem, "memory.stat");
  }
  // Neither is in the engine's answer, so a missing file is not a problem that asking the engine
  // would solve: the values are just absent (memory.swap.current: no swap accounting).
  if (auto swap = Slurp(dir, "memory.swap.current")) r.memory_swap = ParseSingleValue(*swap);
  if (auto events = Slurp(dir, "memory.events")) {
    r.memory_limit_hits = FlatKeyedValue(*events, "max");
  }
  if (auto block = ReadValue(dir, "io.stat", problem, ParseIoStat)) {
    r.block_read_bytes = block->read;
    r.block_write_bytes = block->write;
  }
  r.pids = ReadValue(dir, "pids.current", problem, ParseSingleValue);
}

CgroupRead CgroupReader::Read(const std::string& path, const HostSample& host, double now_seconds,
                              std::int64_t network_pid, KeptFiles* kept) const {
  CgroupRead out = ReadOnce(path, host, now_seconds, network_pid, kept);
  if (kept != nullptr && std::exchange(kept->stale_, false)) {
    // A held file of a removed cgroup failed: read again, by path.
    out = ReadOnce(path, host, now_seconds, network_pid, kept);
    kept->stale_ = false;
  }
  return out;
}

CgroupRead CgroupReader::ReadOnce(const std::string& path, const HostSample& host,
                                  double now_seconds, std::int64_t network_pid,
                                  KeptFiles* kept) const {
  CgroupRead out;
  // The memory controller's directory (v1) or the one directory (v2) tells whether it exists;
  // held open, it is also where those files are read from.
  if (path.empty()) {
    out.gone = true;
    return out;
  }
  const Dir probe(paths_.cgroupfs + (layout_.version == 2 ? "/" : "/memory/") + path, kept,
                  Dir::Check::kStillLinked);
  if (!probe.ok()) {
    out.gone = true;
    return out;
  }
  StatsReading r;
  r.read_time_seconds = now_seconds;
  r.cpu.system_ns = host.system_ns;
  r.cpu.online_cpus = host.online_cpus;
  if (layout_.version == 2) {
    ReadV2(probe, r, out.problem);
  } else {
    ReadV1(path, probe, kept, r, out.problem);
  }
  // As the engine: a limit above the host's memory (none set) is the host's memory.
  if (r.memory_limit && host.memory_total && *r.memory_limit > *host.memory_total) {
    r.memory_limit = host.memory_total;
  }
  if (network_pid > 0) {
    auto dev = Slurp(paths_.procfs + "/" + std::to_string(network_pid) + "/net/dev");
    r.network = dev ? ParseNetDev(*dev) : std::nullopt;
    if (!r.network) Note(out.problem, "/proc/" + std::to_string(network_pid) + "/net/dev");
  }
  out.reading = std::move(r);
  return out;
}

}  // namespace evonic::collectors::cgroupfs
