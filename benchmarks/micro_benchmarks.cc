// Microbenchmarks of the hot paths: parsing one stats answer, building a snapshot's sandboxes,
// rendering (and gzipping) the exposition, and rendering each REST answer.

#include <benchmark/benchmark.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>

#include "collectors/docker/stats_parser.h"
#include "collectors/identity/identity.h"
#include "collectors/pipeline/sandbox_collector.h"
#include "exporter/render/exposition.h"
#include "exporter/render/rest_api.h"
#include "tests/support/test_sandboxes.h"

namespace {

using namespace evonic;  // NOLINT(build/namespaces): benchmarks only

std::string Fixture(const std::string& path) {
  std::ifstream in(std::string(EVONIC_FIXTURES_DIR) + "/" + path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void BM_ParseStatsCgroupV1(benchmark::State& state) {
  const std::string body = Fixture("docker-api/cgroup-v1-docker20.10-stats.json");
  for (auto _ : state) {
    auto r = collectors::ParseStats(body);
    benchmark::DoNotOptimize(collectors::ComputeUsage(*r.reading, nullptr, "none"));
  }
}
BENCHMARK(BM_ParseStatsCgroupV1);

void BM_ParseStatsCgroupV2(benchmark::State& state) {
  const std::string body = Fixture("docker-api/cgroup-v2-oneshot-stats.json");
  for (auto _ : state) {
    auto r = collectors::ParseStats(body);
    benchmark::DoNotOptimize(collectors::ComputeUsage(*r.reading, nullptr, "bridge"));
  }
}
BENCHMARK(BM_ParseStatsCgroupV2);

model::Sandbox MakeSandbox(int i) {
  char hex[16];
  std::snprintf(hex, sizeof hex, "%08x", i);
  const std::string agent = "agent" + std::to_string(i % 7);
  return test::SandboxOf(agent, agent + "-" + hex)
      .Id(std::string(56, 'a') + hex)
      .EvonicName()
      .Image("evonic-sandbox:latest")
      .NetworkMode("none")
      .Matched()
      .Limits(1.0, 536870912.0, 256.0)
      .StartedAt(1795697000 + i)
      .Usage(test::UsageOf()
                 .CpuSeconds(12.5 + i, 12.5 + i, 12.5 + i)
                 .CpuRatio(0.01 * (i % 100))
                 .Throttling(100 + i, 100 + i, 0.5)
                 .Memory(64.0 * 1048576 + i, 536870912)
                 .MemoryBreakdown(65.0 * 1048576 + i, 1048576.0 + i, 64.0 * 1048576, 0, i % 3)
                 .Network(model::NetworkCounters{})
                 .Block(4096.0 * i, 4096.0 * i)
                 .Pids(3)
                 .Build())
      .Build();
}

std::shared_ptr<model::Snapshot> MakeSnapshot(int n) {
  auto snap = std::make_shared<model::Snapshot>();
  for (int i = 0; i < n; ++i) snap->sandboxes.push_back(MakeSandbox(i));
  collectors::MakeLabelSetsUnique(snap->sandboxes);
  auto agents = std::make_shared<std::set<std::string>>();
  for (const auto& s : snap->sandboxes) agents->insert(s.agent_id);
  snap->known_agents = agents;
  snap->pool_max_containers = 100;
  snap->status.docker_up = true;
  snap->status.collect_interval_seconds = 5;
  snap->status.last_collect_timestamp_seconds =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  return snap;
}

// What a cycle does with 100 answers besides waiting for them: parse, compute, name, sort.
void BM_BuildSnapshot100(benchmark::State& state) {
  const std::string body = Fixture("engine-docker20.10/stats/evonic-admin-6f07b262.json");
  std::string error;
  auto identity = collectors::IdentityResolver::Create({}, &error);
  for (auto _ : state) {
    auto snap = std::make_shared<model::Snapshot>();
    for (int i = 0; i < 100; ++i) {
      model::Sandbox s;
      char name[64];
      std::snprintf(name, sizeof name, "evonic-agent%d-%08x", i % 7, i);
      s.container_name = name;
      collectors::Identity id = identity->Resolve(s.container_name, {});
      s.agent_id = id.agent_id;
      s.session_id = id.session_id;
      auto r = collectors::ParseStats(body);
      s.usage = collectors::ComputeUsage(*r.reading, nullptr, "none");
      snap->sandboxes.push_back(std::move(s));
    }
    collectors::MakeLabelSetsUnique(snap->sandboxes);
    benchmark::DoNotOptimize(snap);
  }
}
BENCHMARK(BM_BuildSnapshot100)->Unit(benchmark::kMicrosecond);

void BM_RenderExposition(benchmark::State& state) {
  auto snap = MakeSnapshot(static_cast<int>(state.range(0)));
  const exporter::BuildInfo build{"bench", "bench"};
  exporter::ProcessStats process;
  std::size_t text = 0, gz = 0;
  for (auto _ : state) {
    auto e = exporter::Render(snap, process, build);
    text = e->text.size();
    gz = e->gzip.size();
  }
  state.counters["text_bytes"] = static_cast<double>(text);
  state.counters["gzip_bytes"] = static_cast<double>(gz);
}
BENCHMARK(BM_RenderExposition)->Arg(10)->Arg(100)->Arg(1000)->Unit(benchmark::kMicrosecond);

void BM_RestAnswer(benchmark::State& state, const std::string& path) {
  auto e = std::make_shared<exporter::Exposition>();
  auto snap = MakeSnapshot(100);
  e->snapshot = snap;
  const double now = snap->status.last_collect_timestamp_seconds;
  std::size_t bytes = 0;
  for (auto _ : state) {
    exporter::Answer r = exporter::RestAnswer(*e, path, now);
    bytes = r.body.size();
  }
  state.counters["body_bytes"] = static_cast<double>(bytes);
}
BENCHMARK_CAPTURE(BM_RestAnswer, pool_100, std::string("/api/sandbox/stats"))
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_RestAnswer, agent_of_100, std::string("/api/agents/agent3/sandbox/stats"))
    ->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
