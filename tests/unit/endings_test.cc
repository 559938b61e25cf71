// How sandboxes ended: the classification, and the ledger's counts over streams recorded from the
// real engine (tests/fixtures/events/README.md says how each sandbox there ended).

#include <gtest/gtest.h>

#include <array>
#include <map>
#include <string>
#include <vector>

#include "collectors/pipeline/ending_classifier.h"
#include "collectors/pipeline/event_ledger.h"
#include "tests/unit/recorded_events.h"

namespace evonic::collectors {
namespace {

using model::Ending;
using Endings = std::array<double, model::kEndingCount>;

Endings One(Ending e) {
  Endings out{};
  out[static_cast<std::size_t>(e)] = 1;
  return out;
}

std::shared_ptr<const model::EventsView> Counted(const std::vector<EngineEvent>& events) {
  EventLedger ledger(test::NameRuleAgentOf());
  ledger.OnConnected(true);
  for (const EngineEvent& e : events) ledger.Apply(e);
  return ledger.View();
}

TEST(EndingClassifier, ARemovalWinsOverAnOomWhichWinsOverTheExitCode) {
  EXPECT_EQ(ClassifyEnding({}, 0), Ending::kClean);
  EXPECT_EQ(ClassifyEnding({}, std::nullopt), Ending::kClean);
  EXPECT_EQ(ClassifyEnding({}, 3), Ending::kError);
  EXPECT_EQ(ClassifyEnding({}, 137), Ending::kError);  // SIGKILL from outside the engine
  EXPECT_EQ(ClassifyEnding({false, true}, 137), Ending::kOom);
  EXPECT_EQ(ClassifyEnding({false, true}, 1), Ending::kOom);    // its child was killed
  EXPECT_EQ(ClassifyEnding({false, true}, 0), Ending::kClean);  // it survived the OOM kill
  EXPECT_EQ(ClassifyEnding({true, false}, 137), Ending::kRemoved);
  EXPECT_EQ(ClassifyEnding({true, false}, 0), Ending::kRemoved);  // stopped, exited on SIGTERM
  EXPECT_EQ(ClassifyEnding({true, true}, 137), Ending::kRemoved);
}

// Worked out by hand from how tests/tools/record_endings.sh ended each sandbox.
TEST(EventLedger, CountsEveryRecordedEndingUnderItsReason) {
  auto view = Counted(test::RecordedEvents("events/sandbox-endings.jsonl"));
  const std::map<std::string, Endings> want = {
      {"ends-clean", One(Ending::kClean)},
      {"ends-error", One(Ending::kError)},
      {"ends-oom", One(Ending::kOom)},
      {"ends-rm-f", One(Ending::kRemoved)},
      {"ends-exec-oom-rm", One(Ending::kRemoved)},
      {"ends-stop", One(Ending::kRemoved)},
      {"ends-stop-trap", One(Ending::kRemoved)},
      {"ends-kill", One(Ending::kRemoved)},
      {"ends-exit-then-rm", One(Ending::kError)},  // its later `docker rm` is no second ending
      {"ends-never-ran", Endings{}},               // create, destroy: it never ran
  };
  ASSERT_EQ(view->agents.size(), want.size());
  for (const auto& [agent, endings] : want) {
    ASSERT_TRUE(view->agents.count(agent)) << agent;
    EXPECT_EQ(view->agents.at(agent).endings, endings) << agent;
    EXPECT_EQ(view->agents.at(agent).destroyed, 1) << agent;
  }
  EXPECT_EQ(view->agents.at("ends-exec-oom-rm").oom_kills, 1);
}

TEST(EventLedger, AnExecOomKillThenRmFIsARemoval) {
  // The session recording: two oom events of an exec (the sandbox lived on), then rm -f.
  auto view = Counted(test::RecordedEvents("events/sandbox-session.jsonl"));
  EXPECT_EQ(view->agents.at("recorder").oom_kills, 2);
  EXPECT_EQ(view->agents.at("recorder").endings, One(Ending::kRemoved));
}

TEST(EventLedger, AnEndingIsCountedOnceThoughTheReplaySendsItAgain) {
  std::vector<EngineEvent> events = test::RecordedEvents("events/sandbox-endings.jsonl");
  EventLedger ledger(test::NameRuleAgentOf());
  ledger.OnConnected(true);
  for (const EngineEvent& e : events) ledger.Apply(e);
  ledger.OnConnected(false);  // since= is inclusive: the replay repeats what was seen
  for (const EngineEvent& e : events) ledger.Apply(e);
  EXPECT_EQ(ledger.View()->agents.at("ends-oom").endings, One(Ending::kOom));
}

TEST(EventLedger, ASandboxThatStartedBeforeTheStreamEndsByItsExitCode) {
  // Only the kill, die and destroy of an rm -f, and only the die and destroy of an exit 3: the
  // ledger never saw them start.
  std::vector<EngineEvent> kept;
  for (const EngineEvent& e : test::RecordedEvents("events/sandbox-endings.jsonl")) {
    const bool tail =
        e.kind == EventKind::kKill || e.kind == EventKind::kDie || e.kind == EventKind::kDestroy;
    if (tail && (e.container_name == "evonic-ends-rm-f-3d4e5f60" ||
                 e.container_name == "evonic-ends-error-1b2c3d4e")) {
      kept.push_back(e);
    }
  }
  ASSERT_EQ(kept.size(), 5u);
  auto view = Counted(kept);
  EXPECT_EQ(view->agents.at("ends-rm-f").endings, One(Ending::kRemoved));
  EXPECT_EQ(view->agents.at("ends-error").endings, One(Ending::kError));
}

TEST(EventLedger, ACrossCheckBetweenKillAndDieKeepsTheRemoval) {
  // A stream lagging behind the list: a cycle no longer lists the sandbox whose kill the ledger
  // has seen but not yet its die, and frees it as a missed destroy; the die comes after.
  std::vector<EngineEvent> rm_f;
  for (const EngineEvent& e : test::RecordedEvents("events/sandbox-endings.jsonl")) {
    if (e.container_name == "evonic-ends-rm-f-3d4e5f60") rm_f.push_back(e);
  }
  ASSERT_EQ(rm_f.size(), 5u);  // create, start, kill, die, destroy
  EventLedger ledger(test::NameRuleAgentOf());
  ledger.OnConnected(true);
  for (std::size_t i = 0; i < 3; ++i) ledger.Apply(rm_f[i]);
  model::Snapshot empty_list;
  empty_list.status.docker_up = true;
  empty_list.status.collect_start_timestamp_seconds =
      static_cast<double>(rm_f[2].time_nano) / 1e9 + 5;
  EXPECT_EQ(ledger.CrossCheck(empty_list, 0).size(), 1u);
  ledger.Apply(rm_f[3]);
  ledger.Apply(rm_f[4]);
  EXPECT_EQ(ledger.View()->agents.at("ends-rm-f").endings, One(Ending::kRemoved));
}

TEST(EventLedger, ARestartedSandboxStartsWithoutItsEarlierSigns) {
  // The OOM-killed sandbox, started again and then failing by itself with 1: an error, the
  // earlier OOM kill forgotten at the new start.
  std::vector<EngineEvent> oom;
  for (const EngineEvent& e : test::RecordedEvents("events/sandbox-endings.jsonl")) {
    if (e.container_name == "evonic-ends-oom-2c3d4e5f" && e.kind != EventKind::kDestroy) {
      oom.push_back(e);
    }
  }
  ASSERT_EQ(oom.size(), 4u);  // create, start, oom, die
  EngineEvent start = oom[1], die = oom[3];
  start.time_nano = die.time_nano + 1;
  die.time_nano += 2;
  die.exit_code = 1;
  oom.push_back(start);
  oom.push_back(die);
  Endings want{};
  want[static_cast<std::size_t>(Ending::kOom)] = 1;
  want[static_cast<std::size_t>(Ending::kError)] = 1;
  EXPECT_EQ(Counted(oom)->agents.at("ends-oom").endings, want);
}

}  // namespace
}  // namespace evonic::collectors
