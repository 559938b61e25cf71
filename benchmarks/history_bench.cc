// The history's figures (issue H): builds 7 days of 100 sandboxes (10 agents of 10) at one point
// a minute in a temporary file, then measures
//   - one write of 200 sandboxes into that file (retention deleting as in steady state),
//   - a 24 h query for one agent: every page read from the file, and rendered as answered,
//   - the first 5,000-point page of a 7 d query for the pool, read and rendered,
//   - the file's size (with its WAL).
// Prints one line per figure: the median of the repetitions, the slowest, and the median CPU
// time of the measuring thread (on a shared machine the figure to compare: it leaves out the
// time other processes held the core).
//
//   history_bench [FOLDER]   (default: the system's temporary folder)

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "exporter/history/history_store.h"
#include "exporter/render/rest_api.h"
#include "logging/logger.h"

namespace fs = std::filesystem;
using evonic::exporter::HistoryStore;
using Clock = std::chrono::steady_clock;

namespace {

constexpr double kStart = 1795737600;  // 2026-11-27T00:00:00Z
constexpr double kMinute = 60, kDay = 86400;

evonic::model::HistoryPoint Point(double t, int sandbox) {
  evonic::model::HistoryPoint p;
  p.time_seconds = t;
  p.agent_id = "agent-" + std::to_string(sandbox % 10);
  p.session_id = p.agent_id + "-" + std::to_string(10000000 + sandbox);
  p.container_id = std::string(56, 'c') + std::to_string(10000000 + sandbox);
  p.container_name = "evonic-" + p.session_id;
  p.cpu_percent = (sandbox * 7 + static_cast<int>(t / 60)) % 10000 / 100.0;
  p.memory_used_bytes = 40e6 + sandbox * 1e5 + static_cast<int>(t) % 1000 * 4096;
  p.memory_limit_bytes = 536870912;
  p.network_input_bytes = 0;
  p.network_output_bytes = 0;
  p.block_read_bytes = 1e6 + sandbox * 4096;
  p.block_write_bytes = 5e5 + static_cast<int>(t / 60) * 4096;
  p.pids = 3 + sandbox % 5;
  p.pids_limit = 256;
  p.events.tools[0].runs = static_cast<int>(t / 600);
  p.events.tools[0].seconds = static_cast<int>(t / 600) * 1.25;
  return p;
}

std::vector<evonic::model::HistoryPoint> Write(double t, int sandboxes) {
  std::vector<evonic::model::HistoryPoint> points;
  for (int s = 0; s < sandboxes; ++s) points.push_back(Point(t, s));
  return points;
}

struct Figure {
  double median_ms, max_ms, cpu_median_ms;
};

double ThreadCpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

Figure Measure(int repetitions, const std::function<void()>& run) {
  std::vector<double> ms, cpu_ms;
  for (int i = 0; i < repetitions; ++i) {
    auto t0 = Clock::now();
    const double cpu0 = ThreadCpuMs();
    run();
    cpu_ms.push_back(ThreadCpuMs() - cpu0);
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  std::sort(cpu_ms.begin(), cpu_ms.end());
  return {ms[ms.size() / 2], ms.back(), cpu_ms[cpu_ms.size() / 2]};
}

}  // namespace

int main(int argc, char** argv) {
  const fs::path dir = fs::path(argc > 1 ? argv[1] : fs::temp_directory_path().string()) /
                       ("evonic-history-bench-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  evonic::logging::Logger log(evonic::logging::Level::kWarn, evonic::logging::Format::kLogfmt,
                              stderr);
  HistoryStore::Options o;
  o.path = (dir / "history.db").string();
  std::string error;
  auto store = HistoryStore::Open(o, log, &error);
  if (!store) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 1;
  }
  const double end = kStart + 7 * kDay;
  auto t0 = Clock::now();
  for (double t = kStart; t < end; t += kMinute) {
    if (!store->Append(Write(t, 100), t, &error)) {
      std::fprintf(stderr, "%s\n", error.c_str());
      return 1;
    }
  }
  std::printf("filled: 7 d of 100 sandboxes at 1 m, %lld points, in %.1f s\n",
              static_cast<long long>(store->CountRows()),
              std::chrono::duration<double>(Clock::now() - t0).count());
  auto size = [&] {
    std::uintmax_t bytes = fs::file_size(o.path);
    if (fs::exists(o.path + "-wal")) bytes += fs::file_size(o.path + "-wal");
    return bytes / 1048576.0;
  };
  std::printf("file: %.1f MiB (with its WAL)\n", size());

  // Steady state: each write adds 200 points and deletes expired ones.
  double t = end;
  Figure write = Measure(30, [&] {
    store->Append(Write(t, 200), t, &error);
    t += kMinute;
  });
  std::printf("one write of 200 sandboxes: median %.2f ms (cpu %.2f ms), max %.2f ms\n",
              write.median_ms, write.cpu_median_ms, write.max_ms);

  auto exposition = std::make_shared<evonic::exporter::Exposition>();
  auto snapshot = std::make_shared<evonic::model::Snapshot>();
  auto known = std::make_shared<std::set<std::string>>();
  for (int a = 0; a < 10; ++a) known->insert("agent-" + std::to_string(a));
  snapshot->known_agents = known;
  exposition->snapshot = snapshot;
  const evonic::exporter::HistorySource source{
      [&](const evonic::model::HistoryQuery& q, evonic::model::HistoryPage* page,
          std::string* err) { return store->Read(q, page, err); },
      [&](const std::string& agent) { return store->HasAgent(agent); }};

  std::size_t points = 0;
  Figure agent_read = Measure(9, [&] {
    evonic::model::HistoryQuery q;
    q.since = end - kDay;
    q.agent_id = "agent-3";
    points = 0;
    evonic::model::HistoryPage page;
    do {
      store->Read(q, &page, &error);
      points += page.points.size();
      if (!page.points.empty()) q.after_id = page.points.back().id;
    } while (page.more);
  });
  std::printf(
      "24 h of one agent (%zu points, every page) read: median %.1f ms (cpu %.1f ms), max %.1f "
      "ms\n",
      points, agent_read.median_ms, agent_read.cpu_median_ms, agent_read.max_ms);
  std::size_t bytes = 0;
  Figure agent_answer = Measure(9, [&] {
    std::string cursor;
    bytes = 0;
    for (;;) {
      auto a = evonic::exporter::HistoryAnswer(
          *exposition, "/api/agents/agent-3/sandbox/stats/history",
          "since=" + std::to_string(static_cast<long long>(end - kDay)) +
              (cursor.empty() ? "" : "&cursor=" + cursor),
          &source);
      bytes += a.body.size();
      auto at = a.body.find("\"next\":\"");
      if (at == std::string::npos) break;
      cursor = a.body.substr(at + 8, a.body.find('"', at + 8) - at - 8);
    }
  });
  std::printf(
      "24 h of one agent answered (every page, %.1f MB of JSON): median %.1f ms (cpu %.1f ms), "
      "max %.1f ms\n",
      bytes / 1e6, agent_answer.median_ms, agent_answer.cpu_median_ms, agent_answer.max_ms);

  Figure pool_read = Measure(9, [&] {
    evonic::model::HistoryQuery q;
    q.since = kStart;
    evonic::model::HistoryPage page;
    store->Read(q, &page, &error);
    points = page.points.size();
  });
  std::printf(
      "7 d of the pool, first page (%zu points) read: median %.1f ms (cpu %.1f ms), max %.1f ms\n",
      points, pool_read.median_ms, pool_read.cpu_median_ms, pool_read.max_ms);
  Figure pool_answer = Measure(9, [&] {
    auto a = evonic::exporter::HistoryAnswer(
        *exposition, "/api/sandbox/stats/history",
        "since=" + std::to_string(static_cast<long long>(kStart)), &source);
    bytes = a.body.size();
  });
  std::printf(
      "7 d of the pool, first page answered (%.1f MB): median %.1f ms (cpu %.1f ms), max %.1f "
      "ms\n",
      bytes / 1e6, pool_answer.median_ms, pool_answer.cpu_median_ms, pool_answer.max_ms);
  store.reset();
  fs::remove_all(dir);
  return 0;
}
