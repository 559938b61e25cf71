// MakeLabelSetsUnique, and SandboxCollector::Collect against an in-memory engine that replays the
// answers recorded from Docker 20.10.

#include "collectors/pipeline/sandbox_collector.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "model/clock.h"
#include "tests/support/in_memory_engine.h"
#include "tests/support/test_sandboxes.h"
#include "tests/unit/test_util.h"

namespace evonic::collectors {
namespace {

using test::Fixture;

TEST(MakeLabelSetsUnique, DuplicatesGetTheirShortIdAndOutputIsSorted) {
  const std::string id1 = "2c7c125b0113a87e0bfdb0b85d5987e522df9d7ab3bb6bdf7d62ae418592eac4";
  const std::string id2 = "738a1598226385dfe2089031bcbf0b7d132592ad6b6de6565011f739c0d9a6af";
  const std::string id3 = "890cbff6a020a6a20b5351c152fea3e2f28f025dea337b7fd86d9f0861c896ec";
  const std::string id4 = "58a261e59700f53aba5560db9ba4700c5aa273a7d53a88fbe554328f67a4bb92";
  std::vector<model::Sandbox> v = {test::SandboxOf("ops", "ops-12345678").Id(id3).Build(),
                                   test::SandboxOf("admin", "admin-6f07b262").Id(id4).Build(),
                                   test::SandboxOf("ops", "ops-12345678").Id(id1).Build(),
                                   test::SandboxOf("ops", "ops-12345678").Id(id2).Build()};
  MakeLabelSetsUnique(v);
  ASSERT_EQ(v.size(), 4u);
  // Sorted by (agent, session, container id); the first by container id keeps the plain label
  // set, the later ones get "@" + the 12-character id.
  EXPECT_EQ(v[0].agent_id, "admin");
  EXPECT_EQ(v[0].session_id, "admin-6f07b262");
  EXPECT_EQ(v[1].container_id, id1);
  EXPECT_EQ(v[1].session_id, "ops-12345678");
  EXPECT_EQ(v[2].container_id, id2);
  EXPECT_EQ(v[2].session_id, "ops-12345678@738a15982263");
  EXPECT_EQ(v[3].container_id, id3);
  EXPECT_EQ(v[3].session_id, "ops-12345678@890cbff6a020");
  std::set<std::pair<std::string, std::string>> pairs;
  for (const auto& s : v) EXPECT_TRUE(pairs.emplace(s.agent_id, s.session_id).second);
  for (std::size_t i = 1; i < v.size(); ++i) {
    EXPECT_FALSE(std::tie(v[i].agent_id, v[i].session_id) <
                 std::tie(v[i - 1].agent_id, v[i - 1].session_id));
  }
}

TEST(MakeLabelSetsUnique, SameSessionDifferentAgentsAreNotDuplicates) {
  std::vector<model::Sandbox> v = {test::SandboxOf("b", "s").Id("2222").Build(),
                                   test::SandboxOf("a", "s").Id("1111").Build()};
  MakeLabelSetsUnique(v);
  EXPECT_EQ(v[0].agent_id, "a");
  EXPECT_EQ(v[0].session_id, "s");
  EXPECT_EQ(v[1].session_id, "s");
}

TEST(MakeLabelSetsUnique, SuffixedNameCollidingWithARealSession) {
  // A real session already called "s@bbbbbbbbbbbb" must not end up sharing a label set.
  std::vector<model::Sandbox> v = {
      test::SandboxOf("a", "s").Id("aaaaaaaaaaaaaaaa").Build(),
      test::SandboxOf("a", "s").Id("bbbbbbbbbbbbbbbb").Build(),
      test::SandboxOf("a", "s@bbbbbbbbbbbb").Id("cccccccccccccccc").Build()};
  MakeLabelSetsUnique(v);
  std::set<std::pair<std::string, std::string>> pairs;
  for (const auto& s : v)
    EXPECT_TRUE(pairs.emplace(s.agent_id, s.session_id).second) << s.session_id;
}

TEST(MakeLabelSetsUnique, Empty) {
  std::vector<model::Sandbox> v;
  MakeLabelSetsUnique(v);
  EXPECT_TRUE(v.empty());
}

const char* const kNames[] = {"evonic-labelled", "hand-made-box", "evonic-admin-6f07b262",
                              "evonic-data-analyst-e0d4d663"};
// From engine-docker20.10/engine.txt.
const std::map<std::string, std::string> kIds = {
    {"evonic-data-analyst-e0d4d663",
     "58a261e59700f53aba5560db9ba4700c5aa273a7d53a88fbe554328f67a4bb92"},
    {"evonic-admin-6f07b262", "890cbff6a020a6a20b5351c152fea3e2f28f025dea337b7fd86d9f0861c896ec"},
    {"hand-made-box", "738a1598226385dfe2089031bcbf0b7d132592ad6b6de6565011f739c0d9a6af"},
    {"evonic-labelled", "2c7c125b0113a87e0bfdb0b85d5987e522df9d7ab3bb6bdf7d62ae418592eac4"},
};

const model::Sandbox* ByName(const CycleResult& r, const std::string& name) {
  for (const model::Sandbox& s : r.sandboxes) {
    if (s.container_name == name) return &s;
  }
  return nullptr;
}

class CollectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_.SetVersion(Fixture("engine-docker20.10/version.json"));
    engine_.SetList(Fixture("engine-docker20.10/containers.json"));
    for (const char* name : kNames) {
      engine_.SetInspect(kIds.at(name),
                         Fixture(std::string("engine-docker20.10/inspect/") + name + ".json"));
    }
  }
  void SetStats(const std::string& name, const std::string& fixture) {
    engine_.SetStats(kIds.at(name), Fixture("engine-docker20.10/" + fixture));
  }
  static IdentityResolver Identity() {
    IdentityResolver::Options o{"evonic.agent_id", "evonic.session_id", {kDefaultNameRule}};
    std::string error;
    auto r = IdentityResolver::Create(o, &error);
    EXPECT_TRUE(r.has_value()) << error;
    return *r;
  }
  int Count(const std::string& prefix) const {
    int n = 0;
    for (const std::string& r : engine_.Requests()) n += r.rfind(prefix, 0) == 0 ? 1 : 0;
    return n;
  }

  test::InMemoryEngine engine_;
  SandboxBuilder builder_{Identity(), nullptr};
  std::FILE* devnull_ = std::fopen("/dev/null", "w");
  logging::Logger log_{logging::Level::kError, logging::Format::kLogfmt, devnull_};
  model::ManualClock clock_{1.8e9};
  StatsSourceChoice engine_stats_{StatsSourceMode::kEngine, {}, engine_, clock_, log_};
  SandboxCollector collector_{engine_, builder_, engine_stats_, SandboxCollector::Options{}, log_};

  void TearDown() override { std::fclose(devnull_); }
};

TEST_F(CollectorTest, StoppedAnswerIsNoSampleAndOneShotNeedsTwoReadings) {
  SetStats("hand-made-box", "stats-stopped.json");
  SetStats("evonic-data-analyst-e0d4d663", "stats-oneshot/evonic-data-analyst-e0d4d663.1.json");
  SetStats("evonic-admin-6f07b262", "stats-oneshot/evonic-admin-6f07b262.1.json");
  SetStats("evonic-labelled", "stats-oneshot/evonic-labelled.1.json");

  CycleResult first = collector_.Collect();
  ASSERT_TRUE(first.engine_up);
  EXPECT_EQ(first.api_version, "1.41");
  EXPECT_EQ(first.errors, 0u);
  EXPECT_EQ(first.unmatched, 1u);  // hand-made-box
  ASSERT_EQ(first.sandboxes.size(), 4u);
  // Sorted by (agent, session).
  EXPECT_EQ(first.sandboxes[0].agent_id, "admin");
  EXPECT_EQ(first.sandboxes[0].session_id, "admin-6f07b262");
  EXPECT_EQ(first.sandboxes[1].agent_id, "data-analyst");
  EXPECT_EQ(first.sandboxes[1].session_id, "data-analyst-e0d4d663");
  EXPECT_EQ(first.sandboxes[2].agent_id, "ops");  // from the labels
  EXPECT_EQ(first.sandboxes[2].session_id, "ops-12345678");
  EXPECT_EQ(first.sandboxes[3].agent_id, "unknown");
  EXPECT_EQ(first.sandboxes[3].session_id, "hand-made-box");

  const model::Sandbox* stopped = ByName(first, "hand-made-box");
  ASSERT_NE(stopped, nullptr);
  EXPECT_FALSE(stopped->usage.has_value());  // the stopped answer is no sample
  EXPECT_FALSE(stopped->limits.memory_bytes.has_value());

  const model::Sandbox* busy = ByName(first, "evonic-data-analyst-e0d4d663");
  ASSERT_NE(busy, nullptr);
  EXPECT_EQ(busy->container_id, kIds.at("evonic-data-analyst-e0d4d663"));
  EXPECT_EQ(busy->image, "evonic-sandbox:test");
  EXPECT_EQ(busy->network_mode, "none");
  EXPECT_EQ(busy->limits.memory_bytes, 536870912.0);
  EXPECT_EQ(busy->limits.cpu_cores, 1.0);
  EXPECT_EQ(busy->limits.pids, 256.0);
  ASSERT_TRUE(busy->usage.has_value());
  EXPECT_FALSE(busy->usage->cpu_utilization_ratio.has_value());  // one reading so far
  ASSERT_TRUE(busy->usage->cpu_seconds.has_value());
  EXPECT_NEAR(*busy->usage->cpu_seconds, 11075042638 / 1e9, 1e-12);  // .1 total_usage
  const model::Sandbox* labelled = ByName(first, "evonic-labelled");
  ASSERT_NE(labelled, nullptr);
  EXPECT_EQ(labelled->limits.cpu_cores, 0.5);

  // One stats sample per sandbox, the first with the engine's previous one (this engine sent
  // its one-shot answer: no CPU % yet); one-shot from then on.
  EXPECT_EQ(Count("stats+previous "), 4);
  EXPECT_EQ(Count("stats "), 0);

  // Second cycle: .2 answers; the stopped box is running again.
  SetStats("hand-made-box", "stats-oneshot/hand-made-box.1.json");
  SetStats("evonic-data-analyst-e0d4d663", "stats-oneshot/evonic-data-analyst-e0d4d663.2.json");
  SetStats("evonic-admin-6f07b262", "stats-oneshot/evonic-admin-6f07b262.2.json");
  SetStats("evonic-labelled", "stats-oneshot/evonic-labelled.2.json");
  CycleResult second = collector_.Collect();
  EXPECT_EQ(second.errors, 0u);
  busy = ByName(second, "evonic-data-analyst-e0d4d663");
  ASSERT_NE(busy, nullptr);
  ASSERT_TRUE(busy->usage && busy->usage->cpu_utilization_ratio);
  // .2 total_usage 12078938869 - .1 11075042638 over 1363570000000 - 1361560000000, x 2
  EXPECT_NEAR(*busy->usage->cpu_utilization_ratio,
              (12078938869.0 - 11075042638.0) / (1363570000000.0 - 1361560000000.0) * 2, 1e-12);
  stopped = ByName(second, "hand-made-box");
  ASSERT_NE(stopped, nullptr);
  ASSERT_TRUE(stopped->usage.has_value());
  // The stopped answer was not kept as a previous reading: still no ratio.
  EXPECT_FALSE(stopped->usage->cpu_utilization_ratio.has_value());
  EXPECT_EQ(stopped->usage->memory_used_bytes, 589824.0);  // hand-made-box.1 usage, 0 inactive

  // Inspect was asked once per container, not every cycle.
  EXPECT_EQ(Count("inspect "), 4);
}

TEST_F(CollectorTest, FirstSampleComesWithTheEnginesPreviousOneSoCpuExistsAtOnce) {
  for (const char* name : kNames) {
    engine_.SetStatsWithPrevious(
        kIds.at(name), Fixture(std::string("engine-docker20.10/stats/") + name + ".json"));
    SetStats(name, std::string("stats-oneshot/") + name + ".1.json");
  }
  CycleResult first = collector_.Collect();
  EXPECT_EQ(first.errors, 0u);
  EXPECT_EQ(Count("stats+previous "), 4);
  EXPECT_EQ(Count("stats "), 0);
  const model::Sandbox* busy = ByName(first, "evonic-data-analyst-e0d4d663");
  ASSERT_NE(busy, nullptr);
  ASSERT_TRUE(busy->usage && busy->usage->cpu_utilization_ratio);
  // From the answer alone (stats/...json): total_usage 2025995812 - precpu's 1022317023 over
  // system 1343540000000 - 1341540000000, x 2 CPUs: the busy loop, about one core.
  EXPECT_NEAR(*busy->usage->cpu_utilization_ratio,
              (2025995812.0 - 1022317023.0) / (1343540000000.0 - 1341540000000.0) * 2, 1e-12);

  CycleResult second = collector_.Collect();
  EXPECT_EQ(Count("stats+previous "), 4) << "asked with the previous sample once";
  EXPECT_EQ(Count("stats "), 4);
  busy = ByName(second, "evonic-data-analyst-e0d4d663");
  ASSERT_NE(busy, nullptr);
  ASSERT_TRUE(busy->usage && busy->usage->cpu_utilization_ratio);
  // Against the first cycle's reading: .1 total 11075042638 - 2025995812 over
  // 1361560000000 - 1343540000000, x 2 CPUs.
  EXPECT_NEAR(*busy->usage->cpu_utilization_ratio,
              (11075042638.0 - 2025995812.0) / (1361560000000.0 - 1343540000000.0) * 2, 1e-12);
}

TEST_F(CollectorTest, ACycleTooSoonAfterTheLastKeepsItsCpuPercentAndItsBaseline) {
  const std::string busy_name = "evonic-data-analyst-e0d4d663";
  for (const char* name : kNames) {
    engine_.SetStatsWithPrevious(
        kIds.at(name), Fixture(std::string("engine-docker20.10/stats/") + name + ".json"));
  }
  CycleResult first = collector_.Collect();
  ASSERT_TRUE(ByName(first, busy_name) && ByName(first, busy_name)->usage->cpu_utilization_ratio);
  const double first_ratio = *ByName(first, busy_name)->usage->cpu_utilization_ratio;
  // An early cycle 0.1 s after the first sample (stats/ was read at 12:49:41.893968917): the
  // recorded .1 answer as if read then. Host CPU time hardly moved: no CPU % of its own.
  std::string soon = Fixture("engine-docker20.10/stats-oneshot/" + busy_name + ".1.json");
  const std::string read_at = "\"read\":\"2026-11-26T12:49:50.949641417Z\"";
  ASSERT_NE(soon.find(read_at), std::string::npos);
  soon.replace(soon.find(read_at), read_at.size(), "\"read\":\"2026-11-26T12:49:41.993968917Z\"");
  engine_.SetStats(kIds.at(busy_name), soon);
  CycleResult second = collector_.Collect();
  const model::Sandbox* busy = ByName(second, busy_name);
  ASSERT_TRUE(busy && busy->usage && busy->usage->cpu_utilization_ratio);
  EXPECT_EQ(*busy->usage->cpu_utilization_ratio, first_ratio) << "the last CPU % stays";
  EXPECT_NEAR(*busy->usage->cpu_seconds, 11075042638 / 1e9, 1e-12) << "the rest is this answer's";
  // The next cycle is measured from the first sample, the baseline that stayed.
  SetStats(busy_name, "stats-oneshot/" + busy_name + ".2.json");
  CycleResult third = collector_.Collect();
  busy = ByName(third, busy_name);
  ASSERT_TRUE(busy && busy->usage && busy->usage->cpu_utilization_ratio);
  EXPECT_NEAR(*busy->usage->cpu_utilization_ratio,
              (12078938869.0 - 2025995812.0) / (1363570000000.0 - 1343540000000.0) * 2, 1e-12);
}

TEST_F(CollectorTest, UnusableStatsAnswerCountsAsAnErrorAndKeepsTheSandbox) {
  SetStats("hand-made-box", "stats-oneshot/hand-made-box.1.json");
  SetStats("evonic-data-analyst-e0d4d663", "stats-oneshot/evonic-data-analyst-e0d4d663.1.json");
  SetStats("evonic-admin-6f07b262", "stats-oneshot/evonic-admin-6f07b262.1.json");
  engine_.SetStats(
      kIds.at("evonic-labelled"),
      Fixture("engine-docker20.10/stats-oneshot/evonic-labelled.1.json").substr(0, 100));
  CycleResult r = collector_.Collect();
  EXPECT_TRUE(r.engine_up);
  EXPECT_EQ(r.errors, 1u);
  ASSERT_EQ(r.sandboxes.size(), 4u);
  const model::Sandbox* broken = ByName(r, "evonic-labelled");
  ASSERT_NE(broken, nullptr);
  EXPECT_FALSE(broken->usage.has_value());
  EXPECT_EQ(broken->limits.pids, 64.0);
}

TEST_F(CollectorTest, EngineAnswering404ForStatsDropsThatSandbox) {
  SetStats("hand-made-box", "stats-oneshot/hand-made-box.1.json");
  SetStats("evonic-data-analyst-e0d4d663", "stats-oneshot/evonic-data-analyst-e0d4d663.1.json");
  SetStats("evonic-labelled", "stats-oneshot/evonic-labelled.1.json");
  engine_.SetStats(kIds.at("evonic-admin-6f07b262"),
                   Fixture("engine-docker20.10/error-404-stats.json"), 404);
  CycleResult r = collector_.Collect();
  EXPECT_EQ(r.errors, 0u);  // removed between list and stats: not an error
  EXPECT_EQ(r.sandboxes.size(), 3u);
  EXPECT_EQ(ByName(r, "evonic-admin-6f07b262"), nullptr);
}

TEST_F(CollectorTest, ASandboxRemovedWhileItsStatsAreReadIsGoneNotAnError) {
  // Under churn the engine ended a stats answer without a sample when the container was removed
  // meanwhile ("stats answer is not valid JSON", a warning and a collection error each time).
  for (const char* name : kNames) {
    SetStats(name, std::string("stats-oneshot/") + name + ".1.json");
  }
  ASSERT_EQ(collector_.Collect().sandboxes.size(), 4u);
  const std::string& id = kIds.at("evonic-admin-6f07b262");
  engine_.SetStats(id, "", 200);  // cut short by the removal
  engine_.SetInspect(id, Fixture("engine-docker20.10/error-404-stats.json"), 404);
  CycleResult r = collector_.Collect();
  EXPECT_EQ(r.errors, 0u);
  EXPECT_EQ(r.sandboxes.size(), 3u);
  EXPECT_EQ(ByName(r, "evonic-admin-6f07b262"), nullptr);
  // Still there (the inspect answers): the broken answer is an error, as before.
  engine_.SetInspect(id, Fixture("engine-docker20.10/inspect/evonic-admin-6f07b262.json"));
  r = collector_.Collect();
  EXPECT_EQ(r.errors, 1u);
  EXPECT_EQ(r.sandboxes.size(), 4u);
}

TEST_F(CollectorTest, EngineDown) {
  engine_.SetVersion(std::nullopt);
  CycleResult r = collector_.Collect();
  EXPECT_FALSE(r.engine_up);
  EXPECT_GE(r.errors, 1u);
  EXPECT_TRUE(r.sandboxes.empty());
  EXPECT_EQ(r.api_version, "");
}

}  // namespace
}  // namespace evonic::collectors
