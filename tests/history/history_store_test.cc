// The history file: what is written is read back in order and survives reopening; the retention
// keeps the file's size flat over a simulated month; unusable files are moved aside, never
// served; a folder that cannot be written is an error naming the path.

#include "exporter/history/history_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/history/history_file_fixture.h"

namespace evonic::exporter {
namespace {

namespace fs = std::filesystem;

model::HistoryPoint Point(double t, const std::string& agent, const std::string& session,
                          double cpu) {
  model::HistoryPoint p;
  p.time_seconds = t;
  p.agent_id = agent;
  p.session_id = session;
  p.container_id = std::string(64, session.empty() ? 'x' : session.back());
  p.container_name = "evonic-" + session;
  p.cpu_percent = cpu;
  p.memory_used_bytes = 1.5e6;
  p.memory_limit_bytes = 512.0 * 1024 * 1024;
  p.network_input_bytes = 0;
  p.network_output_bytes = 0;
  p.block_read_bytes = 4096;
  p.block_write_bytes = 8192;
  p.pids = 3;
  p.pids_limit = 256;
  p.events.tools[0].runs = 4;
  p.events.tools[0].failures = 1;
  p.events.tools[0].seconds = 2.5;
  p.events.oom_kills = 1;
  return p;
}

class HistoryStoreTest : public HistoryFileTest {};

TEST_F(HistoryStoreTest, PointsComeBackInOrderWithEveryValueAndFilter) {
  auto store = Open();
  std::string error;
  ASSERT_TRUE(
      store->Append({Point(100, "a", "a-1", 1.25), Point(100, "b", "b-2", 50)}, 100, &error));
  ASSERT_TRUE(
      store->Append({Point(160, "a", "a-1", 2.5), Point(160, "b", "b-2", 75)}, 160, &error));
  model::HistoryPage all = Read(*store, {});
  ASSERT_EQ(all.points.size(), 4u);
  EXPECT_FALSE(all.more);
  const model::HistoryPoint& first = all.points[0];
  EXPECT_EQ(first.time_seconds, 100);
  EXPECT_EQ(first.agent_id, "a");
  EXPECT_EQ(first.session_id, "a-1");
  EXPECT_EQ(first.container_id, std::string(64, '1'));
  EXPECT_EQ(first.container_name, "evonic-a-1");
  EXPECT_EQ(first.cpu_percent, 1.25);
  EXPECT_EQ(first.memory_used_bytes, 1.5e6);
  EXPECT_EQ(first.memory_limit_bytes, 512.0 * 1024 * 1024);
  EXPECT_EQ(first.block_write_bytes, 8192);
  EXPECT_EQ(first.pids, 3);
  EXPECT_EQ(first.pids_limit, 256);
  EXPECT_EQ(first.events.tools[0].runs, 4);
  EXPECT_EQ(first.events.tools[0].failures, 1);
  EXPECT_EQ(first.events.tools[0].seconds, 2.5);
  EXPECT_EQ(first.events.oom_kills, 1);
  EXPECT_LT(all.points[0].id, all.points[3].id);

  model::HistoryQuery agent;
  agent.agent_id = "b";
  EXPECT_EQ(Read(*store, agent).points.size(), 2u);
  model::HistoryQuery session;
  session.session_id = "a-1";
  session.since = 150;
  auto late = Read(*store, session);
  ASSERT_EQ(late.points.size(), 1u);
  EXPECT_EQ(late.points[0].cpu_percent, 2.5);
  model::HistoryQuery until;
  until.until = 120;
  EXPECT_EQ(Read(*store, until).points.size(), 2u);
  model::HistoryQuery future;
  future.since = 1e10;
  EXPECT_TRUE(Read(*store, future).points.empty());
}

TEST_F(HistoryStoreTest, AbsentFiguresStayAbsent) {
  auto store = Open();
  model::HistoryPoint p = Point(1, "a", "a-1", 0);
  p.cpu_percent.reset();
  p.memory_used_bytes.reset();
  p.pids_limit.reset();
  std::string error;
  ASSERT_TRUE(store->Append({p}, 1, &error));
  model::HistoryPage page = Read(*store, {});
  ASSERT_EQ(page.points.size(), 1u);
  EXPECT_FALSE(page.points[0].cpu_percent.has_value());
  EXPECT_FALSE(page.points[0].memory_used_bytes.has_value());
  EXPECT_FALSE(page.points[0].pids_limit.has_value());
  EXPECT_EQ(page.points[0].pids, 3);
}

TEST_F(HistoryStoreTest, PagesFollowTheCursorWithoutGapsOrRepeats) {
  auto store = Open();
  std::string error;
  for (int t = 0; t < 25; ++t) ASSERT_TRUE(store->Append({Point(t, "a", "a-1", t)}, t, &error));
  model::HistoryQuery q;
  q.limit = 10;
  std::vector<double> seen;
  for (int pages = 0; pages < 10; ++pages) {
    model::HistoryPage page = Read(*store, q);
    for (const auto& p : page.points) seen.push_back(p.time_seconds);
    if (!page.more) break;
    EXPECT_EQ(page.points.size(), 10u);
    q.after_id = page.points.back().id;
  }
  ASSERT_EQ(seen.size(), 25u);
  for (int t = 0; t < 25; ++t) EXPECT_EQ(seen[t], t);
}

TEST_F(HistoryStoreTest, AnAgentsPagesAreInWriteOrderAmongOtherAgents) {
  // Every write interleaves agents; one agent's pages between since and until come in the order
  // the points were written, without gaps or repeats.
  auto store = Open();
  std::string error;
  for (int t = 0; t < 25; ++t) {
    ASSERT_TRUE(store->Append(
        {Point(t, "b", "b-1", t), Point(t, "a", "a-1", t), Point(t, "a", "a-2", t + 100)}, t,
        &error));
  }
  model::HistoryQuery q;
  q.agent_id = "a";
  q.since = 3;
  q.until = 20;
  q.limit = 7;
  std::vector<double> cpu;
  std::int64_t last_id = 0;
  for (int pages = 0; pages < 10; ++pages) {
    model::HistoryPage page = Read(*store, q);
    for (const auto& p : page.points) {
      EXPECT_EQ(p.agent_id, "a");
      EXPECT_GT(p.id, last_id);
      last_id = p.id;
      cpu.push_back(*p.cpu_percent);
    }
    if (!page.more) break;
    q.after_id = page.points.back().id;
  }
  std::vector<double> expected;
  for (int t = 3; t <= 20; ++t) {
    expected.push_back(t);
    expected.push_back(t + 100);
  }
  EXPECT_EQ(cpu, expected);
}

TEST_F(HistoryStoreTest, PointsSurviveReopening) {
  {
    auto store = Open();
    std::string error;
    ASSERT_TRUE(store->Append({Point(5, "a", "a-1", 9)}, 5, &error));
  }
  auto again = Open();
  model::HistoryPage page = Read(*again, {});
  ASSERT_EQ(page.points.size(), 1u);
  EXPECT_EQ(page.points[0].cpu_percent, 9);
  EXPECT_EQ(log_.Problems(), 0);
}

TEST_F(HistoryStoreTest, OverASimulatedMonthTheRetentionKeepsTheFileFlat) {
  // 20 sandboxes every 10 minutes for 30 days, 7 days kept: the file reaches its size in the
  // first week and then reuses freed pages.
  auto store = Open(std::chrono::hours(24 * 7));
  const double minute = 60, day = 86400;
  std::vector<model::HistoryPoint> points;
  std::map<int, std::uintmax_t> size_at_day;
  std::string error;
  for (double t = 0; t <= 30 * day; t += 10 * minute) {
    points.clear();
    for (int s = 0; s < 20; ++s) {
      points.push_back(
          Point(t, "agent-" + std::to_string(s % 4), "session-" + std::to_string(s), s));
    }
    ASSERT_TRUE(store->Append(points, t, &error)) << error;
    const int d = static_cast<int>(t / day);
    if (t == d * day) {
      size_at_day[d] =
          fs::file_size(path_) + (fs::exists(path_ + "-wal") ? fs::file_size(path_ + "-wal") : 0);
    }
  }
  const std::int64_t kept_per_week = 7 * 24 * 6 * 20;
  EXPECT_NEAR(static_cast<double>(store->CountRows()), kept_per_week, 20 * 2);
  std::cerr << "file + wal bytes at day 8: " << size_at_day[8] << ", 15: " << size_at_day[15]
            << ", 22: " << size_at_day[22] << ", 30: " << size_at_day[30] << "\n";
  EXPECT_LE(size_at_day[30], size_at_day[8] * 11 / 10);
  EXPECT_LE(size_at_day[22], size_at_day[8] * 11 / 10);
}

void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST_F(HistoryStoreTest, AFileThatIsNotSqliteIsMovedAsideAndNeverServed) {
  const std::string garbage(10000, 'G');
  WriteBytes(path_, garbage);
  auto store = Open();
  ASSERT_TRUE(store);
  EXPECT_TRUE(Read(*store, {}).points.empty());
  auto aside = AsideFiles(dir_);
  ASSERT_EQ(aside.size(), 1u);
  EXPECT_EQ(ReadBytes(aside[0].string()), garbage);
  EXPECT_EQ(log_.Count("history file unusable"), 1);
  EXPECT_EQ(log_.Count("not a SQLite database"), 1);
}

TEST_F(HistoryStoreTest, AnotherApplicationsDatabaseIsMovedAside) {
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           "CREATE TABLE points (id INTEGER PRIMARY KEY, t REAL); INSERT INTO "
                           "points (t) VALUES (1);",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  auto store = Open();
  ASSERT_TRUE(store);
  EXPECT_TRUE(Read(*store, {}).points.empty());
  EXPECT_EQ(AsideFiles(dir_).size(), 1u);
  EXPECT_EQ(log_.Count("another application's SQLite file"), 1);
}

TEST_F(HistoryStoreTest, ADamagedFileIsMovedAside) {
  {
    auto store = Open();
    std::vector<model::HistoryPoint> points;
    for (int s = 0; s < 200; ++s) points.push_back(Point(1, "a", "s" + std::to_string(s), s));
    std::string error;
    ASSERT_TRUE(store->Append(points, 1, &error));
  }
  {
    // Checkpointed into the main file, then pages in the middle overwritten.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode=DELETE;", nullptr,
                 nullptr, nullptr);
    sqlite3_close(db);
  }
  std::string bytes = ReadBytes(path_);
  ASSERT_GT(bytes.size(), 3 * 4096u);
  for (std::size_t i = 4096 + 100; i < bytes.size() - 100; i += 7) bytes[i] = '\x5a';
  WriteBytes(path_, bytes);
  auto store = Open();
  ASSERT_TRUE(store);
  EXPECT_TRUE(Read(*store, {}).points.empty());
  EXPECT_EQ(AsideFiles(dir_).size(), 1u);
  EXPECT_EQ(log_.Count("history file unusable"), 1);
}

TEST_F(HistoryStoreTest, AFolderThatCannotBeWrittenIsAnErrorNamingThePath) {
  // /proc takes no new files, whoever asks (CI runs as root, for whom permissions do not).
  for (const std::string path : {"/proc/evonic-history.db", "/nonexistent-folder/history.db"}) {
    HistoryStore::Options o;
    o.path = path;
    std::string error;
    EXPECT_FALSE(HistoryStore::Open(o, log_.logger(), &error));
    EXPECT_NE(error.find(path), std::string::npos) << error;
  }
}

}  // namespace
}  // namespace evonic::exporter
