// The history writer: a fresh snapshot is written once; a stale one, or the same one again, is
// not (the history holds measurements, never repeats of an old one).

#include "exporter/history/history_writer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "tests/support/captured_log.h"
#include "tests/support/test_sandboxes.h"

namespace evonic::exporter {
namespace {

namespace fs = std::filesystem;

TEST(HistoryWriter, WritesEachFreshSnapshotOnce) {
  const fs::path dir = fs::temp_directory_path() / ("evonic-writer-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  test::CapturedLog log;
  HistoryStore::Options o;
  o.path = (dir / "h.db").string();
  std::string error;
  auto store = HistoryStore::Open(o, log.logger(), &error);
  ASSERT_TRUE(store) << error;
  model::ManualClock clock(1000);
  auto snap = std::make_shared<model::Snapshot>();
  snap->generation = 1;
  snap->status.docker_up = true;
  snap->status.collect_interval_seconds = 5;
  snap->status.last_collect_timestamp_seconds = 999;
  snap->sandboxes = {test::SandboxOf("a", "a-1").Id('1').Build(),
                     test::SandboxOf("b", "b-2").Id('2').Build()};
  std::shared_ptr<const model::Snapshot> current = snap;
  HistoryWriter writer(
      *store, [&] { return current; }, clock, std::chrono::minutes(1), log.logger());

  writer.WriteOnce();
  EXPECT_EQ(store->CountRows(), 2);
  writer.WriteOnce();  // the same snapshot: nothing new to say
  EXPECT_EQ(store->CountRows(), 2);

  auto next = std::make_shared<model::Snapshot>(*snap);
  next->generation = 2;
  current = next;
  clock.Advance(60);  // the last cycle is now 61 s old: stale at a 5 s interval
  writer.WriteOnce();
  EXPECT_EQ(store->CountRows(), 2);
  next->status.last_collect_timestamp_seconds = clock.NowSeconds();
  next->status.docker_up = false;  // the engine went away
  writer.WriteOnce();
  EXPECT_EQ(store->CountRows(), 2);
  next->status.docker_up = true;
  writer.WriteOnce();
  EXPECT_EQ(store->CountRows(), 4);
  const HistoryCounts counts = writer.Counts();
  EXPECT_EQ(counts.writes, 2u);
  EXPECT_EQ(counts.points, 4u);
  EXPECT_EQ(counts.write_errors, 0u);
  EXPECT_EQ(counts.last_write_seconds, 1060);
  store.reset();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace evonic::exporter
