// A whole collection cycle on fuzzed engine answers: the in-memory engine serves a container list,
// inspect and stats answers; SandboxCollector::Collect runs twice (the second cycle has a previous
// reading); its result becomes a Snapshot that is rendered (exposition text and gzip) and answered
// on the REST paths (the pool and the first sandbox's agent).
// Input, cut at NUL bytes: <list> then per listed container <inspect> <stats 1> <stats 2>.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "collectors/docker/engine_answers.h"
#include "collectors/identity/identity.h"
#include "collectors/identity/sandbox_builder.h"
#include "collectors/pipeline/sandbox_collector.h"
#include "exporter/render/exposition.h"
#include "exporter/render/rest_api.h"
#include "logging/logger.h"
#include "model/clock.h"
#include "model/snapshot.h"
#include "tests/fuzz/fuzz_input.h"
#include "tests/support/in_memory_engine.h"

using namespace evonic;

namespace {

constexpr double kNow = 1800000000;
constexpr const char* kVersion =
    R"({"Version":"20.10.24+dfsg1","ApiVersion":"1.41","MinAPIVersion":"1.12"})";

collectors::IdentityResolver Rules() {
  std::string error;
  return *collectors::IdentityResolver::Create(
      {"evonic.agent_id", "evonic.session_id", {collectors::kDefaultNameRule}}, &error);
}

void Answer(const collectors::CycleResult& cycle) {
  auto snap = std::make_shared<model::Snapshot>();
  snap->generation = 1;
  snap->sandboxes = cycle.sandboxes;
  snap->pool_max_containers = 10;
  snap->status.docker_up = cycle.engine_up;
  snap->status.api_version = cycle.api_version;
  snap->status.collect_interval_seconds = 5;
  snap->status.collect_start_timestamp_seconds = kNow - 1.5;
  snap->status.last_collect_timestamp_seconds = kNow - 1;
  snap->status.collect_errors_total = static_cast<double>(cycle.errors);
  snap->status.unmatched_containers = static_cast<double>(cycle.unmatched);
  auto agents = std::make_shared<std::set<std::string>>();
  for (const model::Sandbox& s : cycle.sandboxes) agents->insert(s.agent_id);
  snap->known_agents = agents;
  std::shared_ptr<const exporter::Exposition> exposition =
      exporter::Render(snap, model::ProcessStats{}, exporter::BuildInfo{"0.0.0", "fuzz"});
  exporter::RestAnswer(*exposition, "/api/sandbox/stats", kNow);
  if (!cycle.sandboxes.empty()) {
    exporter::RestAnswer(
        *exposition, "/api/agents/" + cycle.sandboxes.front().agent_id + "/sandbox/stats", kNow);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static std::FILE* devnull = std::fopen("/dev/null", "w");
  static logging::Logger log(logging::Level::kDebug, logging::Format::kLogfmt, devnull);
  const std::vector<std::string> parts = fuzz::Split(fuzz::AsText(data, size));
  test::InMemoryEngine engine;
  engine.SetVersion(std::string(kVersion));
  engine.SetList(parts[0]);
  std::vector<std::string> ids;
  auto listed = collectors::ParseContainerList(parts[0]);
  if (listed.value) {
    for (const collectors::ContainerRef& ref : *listed.value) ids.push_back(ref.id);
  }
  auto part = [&](std::size_t i) { return i < parts.size() ? parts[i] : std::string(); };
  for (std::size_t i = 0; i < ids.size(); ++i) {
    engine.SetInspect(ids[i], part(1 + 3 * i));
    engine.SetStats(ids[i], part(2 + 3 * i));
  }
  collectors::SandboxBuilder builder(Rules(), nullptr);
  model::ManualClock clock(1.8e9);
  collectors::StatsSourceChoice stats(collectors::StatsSourceMode::kEngine, {}, engine, clock, log);
  collectors::SandboxCollector collector(engine, builder, stats, {}, log);
  Answer(collector.Collect());
  for (std::size_t i = 0; i < ids.size(); ++i) engine.SetStats(ids[i], part(3 + 3 * i));
  Answer(collector.Collect());
  return 0;
}
