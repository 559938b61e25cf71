// The events side: parsing recorded engine events, classifying tools, the ledger (duplicates,
// exec joins, gaps, freeing state, cross-checks) and the composer (destroy wins over a stats cycle
// in flight, start shows at once).

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "collectors/docker/event_parser.h"
#include "collectors/pipeline/event_ledger.h"
#include "collectors/pipeline/snapshot_composer.h"
#include "collectors/pipeline/tool_classifier.h"
#include "tests/support/test_sandboxes.h"
#include "tests/unit/recorded_events.h"

namespace evonic::collectors {
namespace {

using model::Tool;

std::vector<EngineEvent> RecordedSession() {
  return test::RecordedEvents("events/sandbox-session.jsonl");
}

// The expectations below are worked out by hand from the recording (see
// tests/fixtures/events/README.md): 4 bash -s (one exit 3), 1 python3 -, an OOM-killed
// `sh -c` (2 oom events, exit 137) and a `true`, then rm -f.
TEST(ToolClassifier, NamesEvonicTools) {
  EXPECT_EQ(ClassifyTool("bash -s"), Tool::kBash);
  EXPECT_EQ(ClassifyTool("/bin/bash -c ls"), Tool::kBash);
  EXPECT_EQ(ClassifyTool("python3 -"), Tool::kPython);
  EXPECT_EQ(ClassifyTool("python -c 1"), Tool::kPython);
  EXPECT_EQ(ClassifyTool("/usr/bin/python3"), Tool::kPython);
  EXPECT_EQ(ClassifyTool("sh -c head -c 200m /dev/zero | tail"), Tool::kOther);
  EXPECT_EQ(ClassifyTool("bashful"), Tool::kOther);
  EXPECT_EQ(ClassifyTool("python3.11 -"), Tool::kOther);
  EXPECT_EQ(ClassifyTool(""), Tool::kOther);
}

TEST(EventParser, ParsesTheRecordedSession) {
  std::vector<EngineEvent> events = RecordedSession();
  ASSERT_EQ(events.size(), 28u);
  EXPECT_EQ(events[0].kind, EventKind::kCreate);
  EXPECT_EQ(events[0].container_name, "evonic-recorder-0a1b2c3d");
  EXPECT_EQ(events[0].labels.at("evonic.managed"), "1");
  EXPECT_EQ(events[0].labels.count("name"), 0u);
  EXPECT_EQ(events[2].kind, EventKind::kExecCreate);
  EXPECT_EQ(events[2].exec_command, "bash -s");
  EXPECT_EQ(events[4].kind, EventKind::kExecDie);
  EXPECT_EQ(events[4].exit_code, 0);
  EXPECT_EQ(events[4].exec_id, events[2].exec_id);
  EXPECT_GT(events[4].time_nano, events[2].time_nano);
  EXPECT_EQ(events.back().kind, EventKind::kDestroy);
}

TEST(EventParser, RejectsMalformedLinesWithAReason) {
  for (const char* bad : {"", "{", "[]", "{\"Type\":\"image\",\"Action\":\"pull\"}",
                          "{\"Type\":\"container\",\"Action\":\"start\",\"timeNano\":1}",
                          "{\"Type\":\"container\",\"Action\":\"start\",\"id\":\"x\"}",
                          "{\"Type\":\"container\",\"id\":\"x\",\"timeNano\":1}"}) {
    auto parsed = ParseEvent(bad);
    EXPECT_FALSE(parsed.value) << bad;
    EXPECT_FALSE(parsed.error.empty()) << bad;
  }
  auto unknown =
      ParseEvent(R"({"Type":"container","Action":"health_status: healthy","id":"x","timeNano":5})");
  ASSERT_TRUE(unknown.value);
  EXPECT_EQ(unknown.value->kind, EventKind::kUnknown);
}

TEST(EventParser, SecondsBeyondInt64NanosecondsAreNoTime) {
  // `time` x 10^9 overflowed int64 (undefined behaviour; tests/fuzz/regressions/fuzz_events).
  auto huge = ParseEvent(R"({"Type":"container","Action":"start","id":"x","time":9300000000})");
  EXPECT_FALSE(huge.value);
  EXPECT_EQ(huge.error, "event without a time");
  auto last = ParseEvent(R"({"Type":"container","Action":"start","id":"x","time":9223372036})");
  ASSERT_TRUE(last.value);
  EXPECT_EQ(last.value->time_nano, 9223372036000000000);
}

TEST(EventLedger, CountsTheRecordedSession) {
  EventLedger ledger(test::NameRuleAgentOf());
  ledger.OnConnected(true);
  std::size_t peak = 0;
  for (const EngineEvent& e : RecordedSession()) {
    ledger.Apply(e);
    peak = std::max(peak, ledger.tracked_objects());
  }
  auto view = ledger.View();
  const model::AgentEventCounters& a = view->agents.at("recorder");
  EXPECT_EQ(a.created, 1);
  EXPECT_EQ(a.destroyed, 1);
  EXPECT_EQ(a.oom_kills, 2);
  const auto& bash = a.tools[static_cast<std::size_t>(Tool::kBash)];
  const auto& python = a.tools[static_cast<std::size_t>(Tool::kPython)];
  const auto& other = a.tools[static_cast<std::size_t>(Tool::kOther)];
  EXPECT_EQ(bash.runs, 4);
  EXPECT_EQ(bash.failures, 1);
  EXPECT_EQ(python.runs, 1);
  EXPECT_EQ(python.failures, 0);
  EXPECT_EQ(other.runs, 2);  // the OOM-killed sh -c and `true`
  EXPECT_EQ(other.failures, 1);
  EXPECT_GT(bash.seconds, 0);
  double in_buckets = 0;
  for (double c : bash.bucket_counts) in_buckets += c;
  EXPECT_EQ(in_buckets, 4);
  EXPECT_EQ(peak, 2u);                      // the sandbox and one exec at a time
  EXPECT_EQ(ledger.tracked_objects(), 0u);  // all freed at exec_die and destroy
  EXPECT_TRUE(view->sessions.empty());
}

TEST(EventLedger, DropsTheDuplicatesOfAReplay) {
  std::vector<EngineEvent> events = RecordedSession();
  EventLedger ledger(test::NameRuleAgentOf());
  ledger.OnConnected(true);
  for (std::size_t i = 0; i < 10; ++i) ledger.Apply(events[i]);
  // The stream breaks; the reconnect's replay (since = last time, inclusive) starts earlier.
  ledger.OnConnected(false);
  for (std::size_t i = 5; i < events.size(); ++i) ledger.Apply(events[i]);
  EXPECT_FALSE(ledger.ReplayPending());  // the last event before the break came again
  ledger.OnReplayOver();
  auto view = ledger.View();
  EXPECT_EQ(view->status.lost_total, 0);
  EXPECT_EQ(view->agents.at("recorder").tools[0].runs, 4);
  EXPECT_EQ(view->agents.at("recorder").created, 1);
}

TEST(EventLedger, CountsAGapWhenTheReplayMissesTheLastEvent) {
  std::vector<EngineEvent> events = RecordedSession();
  EventLedger ledger(test::NameRuleAgentOf());
  ledger.OnConnected(true);
  for (std::size_t i = 0; i < 10; ++i) ledger.Apply(events[i]);
  ledger.OnConnected(false);
  for (std::size_t i = 14; i < events.size(); ++i) ledger.Apply(events[i]);  // 10..13 lost
  EXPECT_TRUE(ledger.ReplayPending());
  ledger.OnReplayOver();
  EXPECT_EQ(ledger.View()->status.lost_total, 1);
  // A quiet engine: reconnecting with nothing new is no gap.
  ledger.OnConnected(false);
  ledger.Apply(events.back());  // the replay of the last event seen
  ledger.OnReplayOver();
  EXPECT_EQ(ledger.View()->status.lost_total, 1);
}

TEST(EventLedger, FreesExecsWithoutExecDieAtDestroy) {
  std::vector<EngineEvent> events = RecordedSession();
  EventLedger ledger(test::NameRuleAgentOf());
  ledger.Apply(events[0]);
  ledger.Apply(events[1]);
  EngineEvent failed = events[2];  // exec_create whose start failed: no exec_die ever
  failed.exec_id = "never-started";
  failed.time_nano += 1;
  ledger.Apply(failed);
  EXPECT_EQ(ledger.tracked_objects(), 2u);
  ledger.Apply(events.back());
  EXPECT_EQ(ledger.tracked_objects(), 0u);
}

TEST(EventLedger, CrossCheckRepairsMissedStartsAndDestroys) {
  std::vector<EngineEvent> events = RecordedSession();
  EventLedger ledger(test::NameRuleAgentOf());
  ledger.OnConnected(true);
  ledger.Apply(events[0]);
  ledger.Apply(events[1]);  // started; its destroy will be missed
  const double start = static_cast<double>(events[1].time_nano) / 1e9;
  model::Snapshot stats;
  stats.status.docker_up = true;
  stats.status.collect_start_timestamp_seconds = start + 10;
  model::Sandbox other;
  other.container_id = std::string(64, 'b');
  other.agent_id = "late";
  other.start_time_seconds = start + 2;  // started while the stream covered the engine
  stats.sandboxes.push_back(other);
  std::vector<std::string> freed = ledger.CrossCheck(stats, start - 1);
  EXPECT_EQ(freed, std::vector<std::string>{events[0].container_id});
  auto view = ledger.View();
  EXPECT_EQ(view->status.repairs_total, 2);
  // An agent seen only in the stats gets its zero counters from the composer, which owns the
  // agents seen (SnapshotComposer.EveryAgentSeenHasCountersAtZero), not from the ledger.
  EXPECT_EQ(view->agents.count("late"), 0u);
  EXPECT_EQ(ledger.tracked_objects(), 1u);
  // The same list again: nothing to repair.
  ledger.CrossCheck(stats, start - 1);
  EXPECT_EQ(ledger.View()->status.repairs_total, 2);
}

TEST(EventLedger, ASlowStartAfterTheCyclesListIsNoMissedDestroy) {
  // Seen in the soak under load: created, a cycle lists the running containers 2 s later, the
  // start comes at 3 s. The sandbox was freed as "a destroy we missed" and stayed hidden.
  std::vector<EngineEvent> events = RecordedSession();
  EventLedger ledger(test::NameRuleAgentOf());
  ledger.OnConnected(true);
  EngineEvent create = events[0];
  EngineEvent start = events[1];
  ASSERT_EQ(start.kind, EventKind::kStart);
  start.time_nano = create.time_nano + 3'000'000'000;
  ledger.Apply(create);
  const double created = static_cast<double>(create.time_nano) / 1e9;
  model::Snapshot before_start;  // its list was taken between the create and the start
  before_start.status.docker_up = true;
  before_start.status.collect_start_timestamp_seconds = created + 2;
  ledger.Apply(start);
  EXPECT_TRUE(ledger.CrossCheck(before_start, created - 100).empty());
  EXPECT_EQ(ledger.View()->status.repairs_total, 0);
  EXPECT_EQ(ledger.tracked_objects(), 1u);
  // A cycle that began well after the start and does not list it: that is a missed destroy.
  model::Snapshot after_start = before_start;
  after_start.status.collect_start_timestamp_seconds = created + 5;
  EXPECT_EQ(ledger.CrossCheck(after_start, created - 100),
            std::vector<std::string>{create.container_id});
}

TEST(EventLedger, ACycleThatListedASandboxJustBeforeItsDestroyIsNoDisagreement) {
  std::vector<EngineEvent> events = RecordedSession();
  EventLedger ledger(test::NameRuleAgentOf());
  ledger.OnConnected(true);
  for (const EngineEvent& e : events) ledger.Apply(e);  // started ... destroyed
  const double start = static_cast<double>(events[1].time_nano) / 1e9;
  const double destroy = static_cast<double>(events.back().time_nano) / 1e9;
  model::Snapshot stats;  // a cycle that began before the destroy and still listed it
  stats.status.docker_up = true;
  stats.status.collect_start_timestamp_seconds = destroy - 0.1;
  model::Sandbox listed;
  listed.container_id = events[0].container_id;
  listed.agent_id = "recorder";
  listed.start_time_seconds = start;
  stats.sandboxes.push_back(listed);
  EXPECT_TRUE(ledger.CrossCheck(stats, start - 100).empty());
  EXPECT_EQ(ledger.tracked_objects(), 0u);  // not brought back
  stats.sandboxes.clear();                  // the next cycle no longer lists it
  stats.status.collect_start_timestamp_seconds = destroy + 5;
  EXPECT_TRUE(ledger.CrossCheck(stats, start - 100).empty());
  EXPECT_EQ(ledger.View()->status.repairs_total, 0);
}

// A composer whose publications are kept, in order.
class ComposerTest : public ::testing::Test {
 protected:
  const model::Snapshot& last() const { return *published_.back(); }
  static std::shared_ptr<model::Snapshot> StatsOf(std::vector<model::Sandbox> sandboxes) {
    auto stats = std::make_shared<model::Snapshot>();
    stats->sandboxes = std::move(sandboxes);
    return stats;
  }

  model::SystemClock clock_;
  std::vector<std::shared_ptr<const model::Snapshot>> published_;
  SnapshotComposer composer_{
      std::make_shared<model::Snapshot>(), clock_,
      [this](std::shared_ptr<const model::Snapshot> s, SnapshotComposer::Cause) {
        published_.push_back(std::move(s));
      }};
};

TEST_F(ComposerTest, DestroyWinsOverAStatsCycleInFlight) {
  auto stats = StatsOf({test::SandboxOf("x", "x-1").Id("a").Build()});
  composer_.OnStats(stats);
  ASSERT_EQ(last().sandboxes.size(), 1u);
  EventsUpdate destroyed;
  destroyed.destroyed = {"a"};
  composer_.OnEvents(destroyed);
  EXPECT_TRUE(last().sandboxes.empty());
  composer_.OnStats(stats);  // a cycle that listed it before the destroy
  EXPECT_TRUE(last().sandboxes.empty());
  composer_.OnStats(StatsOf({}));  // a cycle after: no longer listed
  composer_.OnStats(stats);        // (the id is forgotten once a cycle lacks it)
  EXPECT_EQ(last().sandboxes.size(), 1u);
  for (std::size_t i = 1; i < published_.size(); ++i) {
    EXPECT_GT(published_[i]->generation, published_[i - 1]->generation);
  }
}

TEST_F(ComposerTest, ASandboxTheLedgerGaveUpOnIsShownWhenAListHasIt) {
  // The ledger's repair ("not listed: a destroy we missed") is a guess; a later cycle that
  // lists the sandbox proves it alive, so it must not stay hidden as a real destroy would.
  EventsUpdate started;
  started.started.push_back(test::SandboxOf("z", "z-1").Id("c").StartedAt(1000).Build());
  composer_.OnEvents(started);
  EventsUpdate unlisted;
  unlisted.unlisted = {"c"};
  composer_.OnEvents(unlisted);
  EXPECT_TRUE(last().sandboxes.empty());  // no longer shown from its start event
  composer_.OnStats(StatsOf({test::SandboxOf("z", "z-1").Id("c").Build()}));
  ASSERT_EQ(last().sandboxes.size(), 1u);
  EXPECT_EQ(last().sandboxes[0].container_id, "c");
}

TEST_F(ComposerTest, StartShowsBeforeTheStatsAnswer) {
  EventsUpdate started;
  started.started.push_back(test::SandboxOf("y", "y-1").Id("b").StartedAt(1000).Build());
  composer_.OnEvents(started);
  ASSERT_EQ(last().sandboxes.size(), 1u);
  EXPECT_EQ(last().sandboxes[0].start_time_seconds, 1000);
  auto stats = StatsOf({started.started[0]});
  stats->sandboxes.back().usage = model::SandboxUsage{};
  composer_.OnStats(stats);
  ASSERT_EQ(last().sandboxes.size(), 1u);  // the stats answer took over, not a second entry
  EXPECT_TRUE(last().sandboxes[0].usage.has_value());
}

TEST_F(ComposerTest, EveryAgentSeenHasCountersAtZero) {
  auto stats = StatsOf({test::SandboxOf("with-sandbox", "").Id("c").Build()});
  auto evonic = std::make_shared<model::EvonicView>();
  evonic->agents["in-database"].id = "in-database";
  stats->evonic = evonic;
  composer_.OnStats(stats);
  ASSERT_NE(last().events, nullptr);
  EXPECT_EQ(last().events->agents.count("with-sandbox"), 1u);
  EXPECT_EQ(last().events->agents.count("in-database"), 1u);
  ASSERT_NE(last().known_agents, nullptr);
  EXPECT_EQ(*last().known_agents, std::set<std::string>{"with-sandbox"});
  composer_.OnStats(StatsOf({}));  // the sandbox is gone: still known
  EXPECT_EQ(last().events->agents.count("with-sandbox"), 1u);
  EXPECT_EQ(last().known_agents->count("with-sandbox"), 1u);
}

}  // namespace
}  // namespace evonic::collectors
