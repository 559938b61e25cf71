// The pipeline's own threads: the render thread coalesces event-driven snapshots and renders
// stats snapshots at once; the whole Pipeline over an in-memory engine publishes rendered
// snapshots with one generation counter.

#include "collectors/pipeline/pipeline.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "tests/support/in_memory_engine.h"
#include "tests/unit/test_util.h"

namespace evonic::collectors {
namespace {

using namespace std::chrono_literals;

/// What a render function saw, with a wait for a condition (deadline, never a bare sleep).
class Rendered {
 public:
  void Add(std::shared_ptr<const model::Snapshot> s) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      seen_.push_back(std::move(s));
    }
    cv_.notify_all();
  }
  /// Waits until at least `n` renders happened (at most 20 s) and returns them all.
  std::vector<std::shared_ptr<const model::Snapshot>> WaitFor(std::size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    EXPECT_TRUE(cv_.wait_for(lock, 20s, [&] { return seen_.size() >= n; }))
        << "only " << seen_.size() << " renders";
    return seen_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::shared_ptr<const model::Snapshot>> seen_;
};

std::shared_ptr<const model::Snapshot> Numbered(std::uint64_t generation) {
  auto s = std::make_shared<model::Snapshot>();
  s->generation = generation;
  return s;
}

TEST(RenderThread, BurstOfEventSnapshotsWithinTheWindowGivesOneRenderOfTheNewest) {
  Rendered rendered;
  FreeMemoryReturner memory(1s);
  RenderThread thread(200ms, memory, [&](auto s) { rendered.Add(std::move(s)); });
  thread.Start();
  // 100 event-driven snapshots offered back to back (well within 200 ms of the first).
  const auto first = std::chrono::steady_clock::now();
  for (std::uint64_t g = 1; g <= 100; ++g)
    thread.Offer(Numbered(g), SnapshotComposer::Cause::kEvents);
  ASSERT_LT(std::chrono::steady_clock::now() - first, 200ms) << "the burst itself took too long";
  auto seen = rendered.WaitFor(1);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0]->generation, 100u);  // the newest, not the first
  thread.Stop();
  EXPECT_EQ(thread.renders(), 1u);  // nothing was pending after it: no second render
}

TEST(RenderThread, StatsSnapshotIsRenderedAtOnceEvenInsideAWindow) {
  Rendered rendered;
  FreeMemoryReturner memory(1s);
  // A window of an hour: only a stats offer can get a render out within the test's deadline.
  RenderThread thread(std::chrono::hours(1), memory, [&](auto s) { rendered.Add(std::move(s)); });
  thread.Start();
  thread.Offer(Numbered(1), SnapshotComposer::Cause::kEvents);
  thread.Offer(Numbered(2), SnapshotComposer::Cause::kStats);
  auto seen = rendered.WaitFor(1);
  EXPECT_EQ(seen[0]->generation, 2u);
}

class PipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_.SetVersion(test::Fixture("engine-docker20.10/version.json"));
    engine_.SetList(test::Fixture("engine-docker20.10/containers.json"));
    for (const char* name : {"evonic-labelled", "hand-made-box", "evonic-admin-6f07b262",
                             "evonic-data-analyst-e0d4d663"}) {
      auto list = ParseContainerList(test::Fixture("engine-docker20.10/containers.json"));
      ASSERT_TRUE(list.value);
      for (const ContainerRef& ref : *list.value) {
        if (ref.name != name) continue;
        engine_.SetInspect(
            ref.id, test::Fixture(std::string("engine-docker20.10/inspect/") + name + ".json"));
        engine_.SetStats(ref.id, test::Fixture(std::string("engine-docker20.10/stats-oneshot/") +
                                               name + ".1.json"));
      }
    }
  }
  static IdentityResolver Rules() {
    std::string error;
    auto r = IdentityResolver::Create({"evonic.agent_id", "evonic.session_id", {kDefaultNameRule}},
                                      &error);
    EXPECT_TRUE(r) << error;
    return *r;
  }

  test::InMemoryEngine engine_;
  SandboxBuilder builder_{Rules(), nullptr};
  model::ManualClock clock_{1795700000};
  std::FILE* devnull_ = std::fopen("/dev/null", "w");
  logging::Logger log_{logging::Level::kError, logging::Format::kLogfmt, devnull_};
  void TearDown() override { std::fclose(devnull_); }
};

TEST_F(PipelineTest, FirstCycleIsRenderedWithOneGenerationCounter) {
  Rendered rendered;
  Pipeline::Options options;
  options.interval = 1h;  // one cycle at start, then none within the test
  Pipeline pipeline(options, engine_, builder_, clock_, log_,
                    [&](auto s) { rendered.Add(std::move(s)); });
  pipeline.Start();
  auto seen = rendered.WaitFor(1);
  pipeline.Stop();
  const model::Snapshot& s = *seen.back();
  EXPECT_TRUE(s.status.docker_up);
  EXPECT_EQ(s.status.last_collect_timestamp_seconds, 1795700000);  // the injected clock
  ASSERT_EQ(s.sandboxes.size(), 4u);
  EXPECT_EQ(s.sandboxes[0].agent_id, "admin");
  ASSERT_NE(s.known_agents, nullptr);
  EXPECT_EQ(s.known_agents->count("data-analyst"), 1u);
  for (std::size_t i = 1; i < seen.size(); ++i) {
    EXPECT_GT(seen[i]->generation, seen[i - 1]->generation);
  }
  EXPECT_GE(s.generation, 1u);
}

}  // namespace
}  // namespace evonic::collectors
