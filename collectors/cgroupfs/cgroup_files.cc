#include "collectors/cgroupfs/cgroup_files.h"

#include <charconv>
#include <string>
#include <vector>

namespace evonic::collectors::cgroupfs {

namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

std::optional<std::uint64_t> ToUint(std::string_view s) {
  std::uint64_t v = 0;
  if (s.empty()) return std::nullopt;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// Calls `f(line)` for each line; stops early when `f` returns false.
template <typename F>
void ForEachLine(std::string_view text, F f) {
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    if (!f(line)) return;
    if (nl == std::string_view::npos) return;
    text.remove_prefix(nl + 1);
  }
}

std::vector<std::string_view> Fields(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && IsSpace(line[i])) ++i;
    std::size_t start = i;
    while (i < line.size() && !IsSpace(line[i])) ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

bool IsDevice(std::string_view s) {  // "8:0"
  std::size_t colon = s.find(':');
  return colon != std::string_view::npos && ToUint(s.substr(0, colon)) &&
         ToUint(s.substr(colon + 1));
}

// Adds b to a; false on overflow (the sum is then not a value).
bool Add(std::uint64_t& a, std::uint64_t b) { return !__builtin_add_overflow(a, b, &a); }

}  // namespace

std::optional<std::uint64_t> ParseSingleValue(std::string_view text) { return ToUint(Trim(text)); }

std::optional<std::uint64_t> FlatKeyedValue(std::string_view text, std::string_view key) {
  std::optional<std::uint64_t> out;
  ForEachLine(text, [&](std::string_view line) {
    if (line.size() <= key.size() || line.compare(0, key.size(), key) != 0 ||
        line[key.size()] != ' ') {
      return true;
    }
    out = ToUint(Trim(line.substr(key.size() + 1)));
    return false;
  });
  return out;
}

std::optional<BlockBytes> ParseBlkioServiceBytes(std::string_view text) {
  BlockBytes sum;
  bool ok = true;
  ForEachLine(text, [&](std::string_view line) {
    auto f = Fields(line);
    if (f.empty() || (f.size() == 2 && f[0] == "Total")) return true;
    if (f.size() != 3 || !IsDevice(f[0])) return ok = false;
    char c = f[1][0];
    bool is_read = c == 'r' || c == 'R', is_write = c == 'w' || c == 'W';
    if (!is_read && !is_write) return true;  // Sync, Async, Discard, Total
    auto v = ToUint(f[2]);
    if (!v || !Add(is_read ? sum.read : sum.write, *v)) return ok = false;
    return true;
  });
  if (!ok) return std::nullopt;
  return sum;
}

std::optional<BlockBytes> ParseIoStat(std::string_view text) {
  BlockBytes sum;
  bool ok = true;
  ForEachLine(text, [&](std::string_view line) {
    auto f = Fields(line);
    if (f.empty()) return true;
    if (!IsDevice(f[0])) return ok = false;
    for (std::size_t i = 1; i < f.size(); ++i) {
      std::size_t eq = f[i].find('=');
      if (eq == std::string_view::npos) return ok = false;
      std::string_view k = f[i].substr(0, eq);
      if (k != "rbytes" && k != "wbytes") continue;
      auto v = ToUint(f[i].substr(eq + 1));
      if (!v || !Add(k == "rbytes" ? sum.read : sum.write, *v)) return ok = false;
    }
    return true;
  });
  if (!ok) return std::nullopt;
  return sum;
}

std::optional<HostCpu> ParseProcStat(std::string_view text, long clock_ticks_per_second) {
  if (clock_ticks_per_second <= 0) return std::nullopt;
  std::optional<std::uint64_t> ticks;
  std::uint64_t cpus = 0;
  bool ok = true;
  ForEachLine(text, [&](std::string_view line) {
    if (line.compare(0, 3, "cpu") != 0) return true;
    auto f = Fields(line);
    if (f.empty()) return true;
    if (f[0] != "cpu") {
      if (ToUint(f[0].substr(3))) ++cpus;  // cpu0, cpu1, ...
      return true;
    }
    if (f.size() < 8) return ok = false;
    std::uint64_t sum = 0;
    for (std::size_t i = 1; i < 8; ++i) {
      auto v = ToUint(f[i]);
      if (!v || !Add(sum, *v)) return ok = false;
    }
    ticks = sum;
    return true;
  });
  if (!ok || !ticks || cpus == 0) return std::nullopt;
  HostCpu host;
  // ticks * 1e9 / hz as the engine computes it, split so that the product cannot overflow.
  const auto hz = static_cast<std::uint64_t>(clock_ticks_per_second);
  host.system_ns = *ticks / hz * 1000000000u + *ticks % hz * 1000000000u / hz;
  host.online_cpus = cpus;
  return host;
}

std::optional<std::uint64_t> ParseMemTotal(std::string_view text) {
  std::optional<std::uint64_t> out;
  ForEachLine(text, [&](std::string_view line) {
    auto f = Fields(line);
    if (f.size() != 3 || f[0] != "MemTotal:" || f[2] != "kB") return true;
    auto kib = ToUint(f[1]);
    if (kib && *kib <= UINT64_MAX / 1024) out = *kib * 1024;
    return false;
  });
  return out;
}

std::optional<model::NetworkCounters> ParseNetDev(std::string_view text) {
  model::NetworkCounters sum;
  bool ok = true;
  int line_no = 0;
  ForEachLine(text, [&](std::string_view line) {
    if (++line_no <= 2) return true;  // two header lines
    std::size_t colon = line.find(':');
    if (Trim(line).empty()) return true;
    if (colon == std::string_view::npos) return ok = false;
    if (Trim(line.substr(0, colon)) == "lo") return true;
    auto f = Fields(line.substr(colon + 1));
    if (f.size() < 16) return ok = false;
    std::uint64_t v[16];
    for (int i = 0; i < 16; ++i) {
      auto n = ToUint(f[i]);
      if (!n) return ok = false;
      v[i] = *n;
    }
    // Receive: bytes packets errs drop ...; transmit from the ninth field on.
    sum.receive_bytes += static_cast<double>(v[0]);
    sum.receive_packets += static_cast<double>(v[1]);
    sum.receive_errors += static_cast<double>(v[2]);
    sum.receive_dropped += static_cast<double>(v[3]);
    sum.transmit_bytes += static_cast<double>(v[8]);
    sum.transmit_packets += static_cast<double>(v[9]);
    sum.transmit_errors += static_cast<double>(v[10]);
    sum.transmit_dropped += static_cast<double>(v[11]);
    return true;
  });
  if (!ok || line_no < 2) return std::nullopt;
  return sum;
}

}  // namespace evonic::collectors::cgroupfs
