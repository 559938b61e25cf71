#include "exporter/process_stats.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <memory>
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
  struct DirCloser {
    void operator()(DIR* d) const { closedir(d); }
  };
  if (std::unique_ptr<DIR, DirCloser> dir(opendir((procfs + "/self/fd").c_str())); dir) {
    double count = 0;
    while (dirent* e = readdir(dir.get())) {
      if (e->d_name[0] != '.') ++count;
    }
    s.open_fds = count - 1;  // the handle of the listing itself is not one of the process's own
  }
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
    s.max_fds = static_cast<double>(limit.rlim_cur);
  }
  return s;
}

}  // namespace evonic::exporter
