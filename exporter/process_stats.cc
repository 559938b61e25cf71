#include "exporter/process_stats.h"

#include <dirent.h>
#include <linux/magic.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace evonic::exporter {

namespace {

std::optional<double> BootTimeSeconds(const std::string& procfs) {
  std::ifstream in(procfs + "/stat");
  std::string key;
  double value = 0;
  while (in >> key) {
    if (key == "btime" && in >> value) return value;
    in.ignore(1 << 20, '\n');
  }
  return std::nullopt;
}

double Number(const std::string& text) { return std::strtod(text.c_str(), nullptr); }

std::optional<double> OpenFds(const std::string& fd_dir) {
  // Since Linux 6.2 the size of procfs' /proc/<pid>/fd is the number of open descriptors: one
  // stat instead of a listing, which at 200 sandboxes (the cgroupfs source holds their files open,
  // some 2,800 descriptors) was a fifth of the exporter's CPU. Older kernels say 0, and a folder
  // that is not procfs means something else by its size: then list.
  struct statfs fs {};
  struct stat st {};
  if (statfs(fd_dir.c_str(), &fs) == 0 && fs.f_type == PROC_SUPER_MAGIC &&
      stat(fd_dir.c_str(), &st) == 0 && st.st_size > 0) {
    return static_cast<double>(st.st_size);
  }
  struct DirCloser {
    void operator()(DIR* d) const { closedir(d); }
  };
  std::unique_ptr<DIR, DirCloser> dir(opendir(fd_dir.c_str()));
  if (!dir) return std::nullopt;
  double count = 0;
  while (dirent* e = readdir(dir.get())) {
    if (e->d_name[0] != '.') ++count;
  }
  return count - 1;  // the handle of the listing itself is not one of the process's own
}

}  // namespace

model::ProcessStats ReadProcessStats(const std::string& procfs) {
  model::ProcessStats s;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  std::ifstream stat_file(procfs + "/self/stat");
  std::string line;
  if (std::getline(stat_file, line)) {
    // Fields after the command name, which is in parentheses and may hold spaces.
    std::size_t close = line.rfind(')');
    if (close != std::string::npos) {
      std::istringstream rest(line.substr(close + 2));
      std::vector<std::string> f;
      std::string word;
      while (rest >> word) f.push_back(word);
      // f[0] is field 3 (state): utime is field 14, stime 15, starttime 22, vsize 23, rss 24.
      if (f.size() > 21) {
        s.cpu_seconds = (Number(f[11]) + Number(f[12])) / ticks;
        s.virtual_memory_bytes = Number(f[20]);
        s.resident_memory_bytes = Number(f[21]) * page;
        if (auto boot = BootTimeSeconds(procfs)) {
          s.start_time_seconds = *boot + Number(f[19]) / ticks;
        }
      }
    }
  }
  s.open_fds = OpenFds(procfs + "/self/fd");
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
    s.max_fds = static_cast<double>(limit.rlim_cur);
  }
  return s;
}

}  // namespace evonic::exporter
