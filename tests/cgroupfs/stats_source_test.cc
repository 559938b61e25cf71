// Choosing the stats source (auto, cgroupfs, engine) and the collection cycle reading cgroupfs:
// an in-memory engine serving recorded answers, and a cgroupfs tree in a temporary folder.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

#include "collectors/pipeline/sandbox_collector.h"
#include "collectors/pipeline/stats_source_choice.h"
#include "model/clock.h"
#include "tests/cgroupfs/cgroup_tree.h"
#include "tests/support/in_memory_engine.h"

namespace evonic::collectors {
namespace {

constexpr char kEngine[] = "engine-docker20.10/";
const char* const kNames[] = {"evonic-labelled", "hand-made-box", "evonic-admin-6f07b262",
                              "evonic-data-analyst-e0d4d663"};
const char* const kIds[] = {"2c7c125b0113a87e0bfdb0b85d5987e522df9d7ab3bb6bdf7d62ae418592eac4",
                            "738a1598226385dfe2089031bcbf0b7d132592ad6b6de6565011f739c0d9a6af",
                            "890cbff6a020a6a20b5351c152fea3e2f28f025dea337b7fd86d9f0861c896ec",
                            "58a261e59700f53aba5560db9ba4700c5aa273a7d53a88fbe554328f67a4bb92"};
constexpr char kInfoV1[] = R"({"CgroupDriver":"cgroupfs","CgroupVersion":"1"})";

std::string Fixture(const std::string& relative) {
  std::ifstream in(std::string(EVONIC_FIXTURES_DIR) + "/" + relative);
  EXPECT_TRUE(in.good()) << relative;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

IdentityResolver Rules() {
  std::string error;
  auto r = IdentityResolver::Create(
      {"evonic.agent_id", "evonic.session_id", {std::string(kDefaultNameRule)}}, &error);
  EXPECT_TRUE(r) << error;
  return *r;
}

class StatsSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_.SetVersion(Fixture(std::string(kEngine) + "version.json"));
    engine_.SetList(Fixture(std::string(kEngine) + "containers.json"));
    for (int i = 0; i < 4; ++i) {
      engine_.SetInspect(kIds[i], Fixture(std::string(kEngine) + "inspect/" + kNames[i] + ".json"));
      engine_.SetStats(kIds[i],
                       Fixture(std::string(kEngine) + "stats-oneshot/" + kNames[i] + ".1.json"));
      // Each sandbox's cgroup holds the recorded v1 reading.
      tree_.PlaceV1("v1-docker20.10", "before", std::string("docker/") + kIds[i]);
    }
  }
  std::size_t Count(const std::string& request) const {
    std::size_t n = 0;
    for (const std::string& r : engine_.Requests()) n += r.rfind(request, 0) == 0;
    return n;
  }
  /// A collector over this fixture's engine and tree whose stats source is chosen by `mode`.
  SandboxCollector& Collector(StatsSourceMode mode, SandboxCollector::Options options = {},
                              StatsVerifier* verifier = nullptr) {
    collector_.reset();  // before the choice it refers to
    choice_ = std::make_unique<StatsSourceChoice>(mode, tree_.paths(), engine_, clock_, log_);
    collector_ =
        std::make_unique<SandboxCollector>(engine_, builder_, *choice_, options, log_, verifier);
    return *collector_;
  }
  /// The container's cgroup in every v1 controller, gone.
  void RemoveCgroup(const std::string& id) {
    for (const char* c : {"cpuacct", "cpu", "memory", "blkio", "pids"}) {
      tree_.Remove(std::string(c) + "/docker/" + id);
    }
  }
  const model::Sandbox* Find(const CycleResult& r, const std::string& name) const {
    for (const model::Sandbox& s : r.sandboxes) {
      if (s.container_name == name) return &s;
    }
    return nullptr;
  }

  test::InMemoryEngine engine_;
  test::CgroupTree tree_;
  model::ManualClock clock_{1.8e9};
  std::FILE* devnull_ = std::fopen("/dev/null", "w");
  logging::Logger log_{logging::Level::kError, logging::Format::kLogfmt, devnull_};
  SandboxBuilder builder_{Rules(), nullptr};
  std::unique_ptr<StatsSourceChoice> choice_;
  std::unique_ptr<SandboxCollector> collector_;
  void TearDown() override { std::fclose(devnull_); }
};

TEST_F(StatsSourceTest, AutoReadsCgroupfsAndAsksTheEngineOnlyForFirstSamples) {
  engine_.SetInfo(kInfoV1);
  SandboxCollector& collector = Collector(StatsSourceMode::kAuto);
  CycleResult first = collector.Collect();
  EXPECT_EQ(first.stats_source, "cgroupfs");
  // Each sandbox's first sample comes from the engine, with the engine's previous one.
  EXPECT_EQ(Count("stats+previous "), 4u);
  CycleResult r = collector.Collect();
  EXPECT_EQ(r.stats_source, "cgroupfs");
  EXPECT_EQ(r.errors, 0u);
  ASSERT_EQ(r.sandboxes.size(), 4u);
  for (const model::Sandbox& s : r.sandboxes) {
    ASSERT_TRUE(s.usage) << s.container_name;
    EXPECT_EQ(s.usage->memory_limit_bytes, 536870912.0);  // the recorded cgroup's, not the answers'
    EXPECT_EQ(s.usage->pids, 1.0);
    EXPECT_TRUE(s.usage->network);  // --network none: zeros, as with the engine
  }
  EXPECT_EQ(Count("stats"), 4u) << "no stats asked of the engine after the first samples";
  EXPECT_EQ(Count("info"), 1u);
  collector.Collect();
  EXPECT_EQ(Count("info"), 1u);  // decided once
}

TEST_F(StatsSourceTest, AFirstSampleHasItsCpuFromTheEnginesPreviousSample) {
  engine_.SetInfo(kInfoV1);
  for (int i = 0; i < 4; ++i) {
    engine_.SetStatsWithPrevious(kIds[i],
                                 Fixture(std::string(kEngine) + "stats/" + kNames[i] + ".json"));
  }
  // The engine cannot answer for one: its cgroupfs reading stays (CPU % waits a cycle).
  engine_.SetStatsWithPrevious(kIds[0], R"({"message":"boom"})", 500);
  for (StatsSourceMode mode : {StatsSourceMode::kAuto, StatsSourceMode::kCgroupfs}) {
    SandboxCollector& collector = Collector(mode);
    CycleResult r = collector.Collect();
    EXPECT_EQ(r.stats_source, "cgroupfs");
    EXPECT_EQ(r.errors, 0u);
    const model::Sandbox* busy = Find(r, "evonic-data-analyst-e0d4d663");
    ASSERT_TRUE(busy && busy->usage && busy->usage->cpu_utilization_ratio);
    // stats/evonic-data-analyst-e0d4d663.json alone: (2025995812 - 1022317023) over
    // (1343540000000 - 1341540000000), x 2 CPUs.
    EXPECT_NEAR(*busy->usage->cpu_utilization_ratio,
                (2025995812.0 - 1022317023.0) / (1343540000000.0 - 1341540000000.0) * 2, 1e-12);
    const model::Sandbox* refused = Find(r, kNames[0]);
    ASSERT_TRUE(refused && refused->usage);
    EXPECT_EQ(refused->usage->memory_limit_bytes, 536870912.0) << "the cgroupfs reading";
    EXPECT_FALSE(refused->usage->cpu_utilization_ratio);
  }
}

TEST_F(StatsSourceTest, AutoUsesTheEngineWhenItCannotTellOrTheFilesAreNotThere) {
  // No /info (the in-memory engine answers 404).
  SandboxCollector& a = Collector(StatsSourceMode::kAuto);
  EXPECT_EQ(a.Collect().stats_source, "engine");
  EXPECT_EQ(Count("stats"), 4u);
  // /info says v2, but there is no v2 hierarchy at the path.
  engine_.SetInfo(R"({"CgroupDriver":"cgroupfs","CgroupVersion":"2"})");
  SandboxCollector& b = Collector(StatsSourceMode::kAuto);
  CycleResult r = b.Collect();
  EXPECT_EQ(r.stats_source, "engine");
  EXPECT_EQ(r.errors, 0u);
  for (const model::Sandbox& s : r.sandboxes) EXPECT_TRUE(s.usage);
}

TEST_F(StatsSourceTest, ExplicitCgroupfsThatCannotReadGivesNoValuesAndErrors) {
  engine_.SetInfo(R"({"CgroupDriver":"cgroupfs","CgroupVersion":"2"})");
  SandboxCollector& collector = Collector(StatsSourceMode::kCgroupfs);
  CycleResult r = collector.Collect();
  EXPECT_EQ(r.sandboxes.size(), 4u);
  EXPECT_EQ(r.errors, 4u);
  for (const model::Sandbox& s : r.sandboxes) EXPECT_FALSE(s.usage);
  EXPECT_EQ(Count("stats"), 0u);
  choice_->FallBack("no effect outside auto");
  collector.Collect();
  EXPECT_EQ(Count("stats"), 0u);
}

TEST_F(StatsSourceTest, EngineModeNeverAsksForInfo) {
  engine_.SetInfo(kInfoV1);
  SandboxCollector& collector = Collector(StatsSourceMode::kEngine);
  EXPECT_EQ(collector.Collect().stats_source, "engine");
  EXPECT_EQ(Count("info"), 0u);
  EXPECT_EQ(Count("stats"), 4u);
}

TEST_F(StatsSourceTest, ALiveSandboxWhoseCgroupIsMissingMakesAutoFallBack) {
  engine_.SetInfo(kInfoV1);
  SandboxCollector& collector = Collector(StatsSourceMode::kAuto);
  ASSERT_EQ(collector.Collect().stats_source, "cgroupfs");
  RemoveCgroup(kIds[1]);
  // The engine still has it and answers for it: its values come from the engine this very
  // cycle, without an error, and auto uses the engine from now on.
  CycleResult r = collector.Collect();
  EXPECT_EQ(r.errors, 0u);
  EXPECT_EQ(r.stats_source, "engine");
  ASSERT_TRUE(Find(r, "hand-made-box") && Find(r, "hand-made-box")->usage);
  EXPECT_EQ(Count("stats "), 1u);
  CycleResult next = collector.Collect();
  EXPECT_EQ(next.errors, 0u);
  EXPECT_EQ(Count("stats "), 5u);
}

TEST_F(StatsSourceTest, AControllerAutoCannotReadMakesItFallBackWithoutAGap) {
  engine_.SetInfo(kInfoV1);
  tree_.Remove(std::string("pids/docker/") + kIds[2]);  // e.g. pids not mounted for it
  SandboxCollector& collector = Collector(StatsSourceMode::kAuto);
  CycleResult r = collector.Collect();
  EXPECT_EQ(r.errors, 0u);
  EXPECT_EQ(r.stats_source, "engine");
  const model::Sandbox* s = Find(r, "evonic-admin-6f07b262");
  ASSERT_TRUE(s && s->usage && s->usage->pids);  // from the engine's answer
  // Asked once in this cycle (its second look, which was also its first sample).
  EXPECT_EQ(Count(std::string("stats+previous ") + kIds[2]), 1u);
}

TEST_F(StatsSourceTest, ExplicitCgroupfsNeverFallsBackButSaysWhatItCannotRead) {
  engine_.SetInfo(kInfoV1);
  SandboxCollector& collector = Collector(StatsSourceMode::kCgroupfs);
  ASSERT_EQ(collector.Collect().stats_source, "cgroupfs");
  RemoveCgroup(kIds[1]);
  CycleResult r = collector.Collect();
  EXPECT_EQ(r.errors, 1u);
  EXPECT_EQ(r.stats_source, "cgroupfs");
  ASSERT_TRUE(Find(r, "hand-made-box"));
  EXPECT_FALSE(Find(r, "hand-made-box")->usage);
  EXPECT_EQ(Count("stats "), 0u) << "no second look at the engine";
}

TEST_F(StatsSourceTest, ARemovedSandboxIsNoErrorAndNoFallBack) {
  engine_.SetInfo(kInfoV1);
  SandboxCollector& collector = Collector(StatsSourceMode::kAuto);
  ASSERT_EQ(collector.Collect().stats_source, "cgroupfs");
  tree_.Remove(std::string("memory/docker/") + kIds[1]);
  engine_.SetInspect(kIds[1], R"({"message":"No such container"})", 404);
  engine_.SetStats(kIds[1], R"({"message":"No such container"})", 404);
  CycleResult r = collector.Collect();
  EXPECT_EQ(r.errors, 0u);
  EXPECT_EQ(r.sandboxes.size(), 3u);
  EXPECT_EQ(r.stats_source, "cgroupfs");
}

TEST_F(StatsSourceTest, ADisagreementWithTheEngineMakesAutoFallBack) {
  engine_.SetInfo(kInfoV1);
  StatsVerifier verifier(engine_, log_);
  verifier.Start();
  SandboxCollector& collector = Collector(StatsSourceMode::kAuto, {}, &verifier);
  // The recorded engine answers are of other containers at other times: memory differs.
  ASSERT_EQ(collector.Collect().stats_source, "cgroupfs");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (verifier.disagreed() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(verifier.disagreed(), 1u);
  EXPECT_EQ(Count("stats "), 1u);  // the one check (one-shot; the first samples asked before)
  CycleResult r = collector.Collect();
  EXPECT_EQ(r.stats_source, "engine");
  EXPECT_EQ(r.checks_disagreed, 1u);
  EXPECT_EQ(Count("stats "), 5u);  // this cycle read the engine
  verifier.Stop();
}

TEST_F(StatsSourceTest, AnAgreeingCheckKeepsCgroupfs) {
  engine_.SetInfo(kInfoV1);
  // The engine answers what it answered between the recorded readings of this idle cgroup
  // (its counters did not move, so the tree's one reading brackets the answer).
  for (const char* id : kIds) {
    engine_.SetStats(id, Fixture("cgroupfs/v1-docker20.10/engine-stats.json"));
  }
  StatsVerifier verifier(engine_, log_);
  verifier.Start();
  SandboxCollector& collector = Collector(StatsSourceMode::kAuto, {}, &verifier);
  ASSERT_EQ(collector.Collect().stats_source, "cgroupfs");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (verifier.agreed() + verifier.disagreed() == 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(verifier.agreed(), 1u);
  EXPECT_EQ(verifier.disagreed(), 0u);
  EXPECT_EQ(collector.Collect().stats_source, "cgroupfs");
  verifier.Stop();
}

TEST_F(StatsSourceTest, WhileEventsSayNothingChangedTheCycleAsksTheEngineNothing) {
  engine_.SetInfo(kInfoV1);
  ContainerSetWatch watch;
  SandboxCollector::Options options;
  options.container_set = &watch;
  SandboxCollector& collector = Collector(StatsSourceMode::kAuto, options);
  collector.Collect();  // not following yet: lists
  collector.Collect();
  EXPECT_EQ(Count("list"), 2u);
  watch.SetFollowing(true);
  collector.Collect();  // the count moved when following began: lists once more
  EXPECT_EQ(Count("list"), 3u);
  // (The in-memory engine counts Version() calls, which DockerEngine answers from its cache.)
  auto asked = [this] { return Count("list") + Count("inspect") + Count("stats") + Count("info"); };
  const std::size_t requests = asked();
  for (int i = 0; i < 3; ++i) {
    CycleResult r = collector.Collect();
    EXPECT_TRUE(r.engine_up);
    EXPECT_EQ(r.sandboxes.size(), 4u);
    for (const model::Sandbox& s : r.sandboxes) EXPECT_TRUE(s.usage);
  }
  EXPECT_EQ(asked(), requests) << "a steady cycle asked the engine";
  watch.Changed();  // e.g. a container was created
  collector.Collect();
  EXPECT_EQ(Count("list"), 4u);
  watch.SetFollowing(false);  // the stream broke: list every cycle again
  collector.Collect();
  collector.Collect();
  EXPECT_EQ(Count("list"), 6u);
}

TEST_F(StatsSourceTest, ASandboxFoundGoneMakesTheNextCycleListAgain) {
  engine_.SetInfo(kInfoV1);
  ContainerSetWatch watch;
  watch.SetFollowing(true);
  SandboxCollector::Options options;
  options.container_set = &watch;
  SandboxCollector& collector = Collector(StatsSourceMode::kAuto, options);
  collector.Collect();
  EXPECT_EQ(Count("list"), 1u);
  // Removed without its event reaching us (yet): the reused list still names it.
  tree_.Remove(std::string("memory/docker/") + kIds[1]);
  engine_.SetInspect(kIds[1], R"({"message":"No such container"})", 404);
  engine_.SetStats(kIds[1], R"({"message":"No such container"})", 404);
  CycleResult r = collector.Collect();
  EXPECT_EQ(r.sandboxes.size(), 3u);
  EXPECT_EQ(Count("list"), 1u);
  collector.Collect();
  EXPECT_EQ(Count("list"), 2u);
}

}  // namespace
}  // namespace evonic::collectors
