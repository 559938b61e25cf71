// A history file of schema 2 (tests/fixtures/history/schema2.db, written by the exporter before
// schema 3) is upgraded when opened: every point is answered as it was, with its id (a client's
// cursor stays valid), through every filter and page, and writes go on after it. An upgrade that
// fails moves the file aside with its points; they are never served wrong or lost silently. A
// kill during the upgrade loses nothing: the next open upgrades the file again.

#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "exporter/history/history_schema.h"
#include "tests/history/history_file_fixture.h"

namespace evonic::exporter {
namespace {

namespace fs = std::filesystem;

constexpr double kFirstWrite = 1795737600;  // the fixture's four writes, a minute apart

class HistoryUpgradeTest : public HistoryFileTest {
 protected:
  void SetUp() override {
    HistoryFileTest::SetUp();
    fs::copy_file(fs::path(EVONIC_FIXTURES_DIR) / "history" / "schema2.db", path_);
  }
  std::vector<std::int64_t> Ids(const HistoryStore& store, model::HistoryQuery q) {
    std::vector<std::int64_t> ids;
    for (const auto& p : Read(store, q).points) ids.push_back(p.id);
    return ids;
  }
};

// The first column of `sql` on the file at `path`, as text.
std::string Query(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  std::string out = "(cannot open)";
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* s = nullptr;
    out = "(no answer)";
    if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW) {
      out = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    }
    sqlite3_finalize(s);
  }
  sqlite3_close(db);
  return out;
}

TEST_F(HistoryUpgradeTest, EveryPointIsAnsweredAsBeforeTheUpgrade) {
  ASSERT_EQ(Query(path_, "PRAGMA user_version"), "2");
  auto store = Open();
  ASSERT_TRUE(store);
  EXPECT_EQ(log_.Count("history file upgraded"), 1);
  EXPECT_EQ(log_.Problems(), 0);
  EXPECT_TRUE(AsideFiles(dir_).empty());
  // One agent's points are kept together now (what makes reading them fast).
  EXPECT_EQ(Query(path_, "PRAGMA user_version"), "3");
  EXPECT_EQ(Query(path_,
                  "SELECT sql LIKE '%PRIMARY KEY (agent, id)) WITHOUT ROWID' FROM "
                  "sqlite_master WHERE name = 'points'"),
            "1");

  const model::HistoryPage all = Read(*store, {});
  ASSERT_EQ(all.points.size(), 12u);
  const char* sessions[] = {"a-1", "b-3", "a-2"};
  for (std::size_t i = 0; i < all.points.size(); ++i) {
    SCOPED_TRACE("point " + std::to_string(i + 1));
    const model::HistoryPoint& p = all.points[i];
    const int w = static_cast<int>(i / 3);
    const std::string session = sessions[i % 3];
    const double t = kFirstWrite + 60 * w;
    EXPECT_EQ(p.id, static_cast<std::int64_t>(i + 1));
    EXPECT_EQ(p.time_seconds, t);
    EXPECT_EQ(p.agent_id, session == "b-3" ? "agent-b" : "agent-a");
    EXPECT_EQ(p.session_id, session);
    EXPECT_EQ(p.container_id, std::string(64, session.back()));
    EXPECT_EQ(p.container_name, "evonic-" + session);
    const std::optional<double> cpu = session == "a-1"   ? std::optional<double>(1.25 * (w + 1))
                                      : session == "b-3" ? std::optional<double>(50 + w)
                                      : w != 2           ? std::optional<double>(0.5)
                                                         : std::nullopt;
    EXPECT_EQ(p.cpu_percent, cpu);
    EXPECT_EQ(p.memory_used_bytes, 1.5e6 + t);
    EXPECT_EQ(p.memory_limit_bytes, 512.0 * 1024 * 1024);
    EXPECT_EQ(p.network_input_bytes, 0);
    EXPECT_EQ(p.network_output_bytes, 2 * t);
    EXPECT_EQ(p.block_read_bytes, 4096);
    EXPECT_EQ(p.block_write_bytes, 8192);
    EXPECT_EQ(p.pids, 3);
    EXPECT_EQ(p.pids_limit, 256);
    EXPECT_EQ(p.events.tools[0].runs, t / 60);
    EXPECT_EQ(p.events.tools[0].failures, 1);
    EXPECT_EQ(p.events.tools[0].seconds, 2.5);
    EXPECT_EQ(p.events.tools[1].runs, 2);
    EXPECT_EQ(p.events.oom_kills, session == "b-3" ? 1 : 0);
  }

  model::HistoryQuery agent;
  agent.agent_id = "agent-a";
  EXPECT_EQ(Ids(*store, agent), (std::vector<std::int64_t>{1, 3, 4, 6, 7, 9, 10, 12}));
  model::HistoryQuery session;
  session.session_id = "b-3";
  EXPECT_EQ(Ids(*store, session), (std::vector<std::int64_t>{2, 5, 8, 11}));
  model::HistoryQuery range;
  range.since = kFirstWrite + 60;
  range.until = kFirstWrite + 120;
  EXPECT_EQ(Ids(*store, range), (std::vector<std::int64_t>{4, 5, 6, 7, 8, 9}));
  // A cursor given before the upgrade goes on where it was.
  agent.limit = 3;
  agent.after_id = 4;
  EXPECT_EQ(Ids(*store, agent), (std::vector<std::int64_t>{6, 7, 9}));

  // Writes go on after the old points, and the file is upgraded once.
  std::string error;
  ASSERT_TRUE(store->Append({all.points[0]}, kFirstWrite + 240, &error)) << error;
  agent.limit = 5000;
  agent.after_id = 12;
  EXPECT_EQ(Ids(*store, agent), (std::vector<std::int64_t>{13}));
  store.reset();
  auto again = Open();
  ASSERT_TRUE(again);
  EXPECT_EQ(log_.Count("history file upgraded"), 1);
  EXPECT_EQ(Ids(*again, {}).size(), 13u);
}

TEST_F(HistoryUpgradeTest, AnUpgradeThatFailsMovesTheFileAsideWithItsPoints) {
  // A schema 2 file without one of its indexes passes quick_check but cannot be upgraded.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "DROP INDEX points_by_agent", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);

  auto store = Open();
  ASSERT_TRUE(store);
  EXPECT_TRUE(Ids(*store, {}).empty());
  EXPECT_EQ(log_.Count("history file unusable"), 1);
  EXPECT_EQ(log_.Count("could not be upgraded"), 1);
  auto aside = AsideFiles(dir_);
  ASSERT_EQ(aside.size(), 1u);
  EXPECT_EQ(Query(aside[0].string(), "PRAGMA user_version"), "2");
  EXPECT_EQ(Query(aside[0].string(), "SELECT count(*) FROM points"), "12");
}

TEST_F(HistoryUpgradeTest, AKillDuringTheUpgradeLosesNothing) {
  // The fixture's points copied until the upgrade takes long enough (about a second) to be
  // killed in the middle.
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    const std::string columns =
        std::string("write_id, sandbox, agent, ") + history_schema::kValueColumns;
    const std::string twice =
        "INSERT INTO points (" + columns + ") SELECT " + columns + " FROM points";
    for (int i = 0; i < 14; ++i) {
      ASSERT_EQ(sqlite3_exec(db, twice.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    }
    sqlite3_close(db);
  }
  const std::string points = Query(path_, "SELECT count(*) FROM points");
  ASSERT_EQ(points, std::to_string(12 << 14));

  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    logging::Logger quiet(logging::Level::kError, logging::Format::kLogfmt, stderr);
    HistoryStore::Options o;
    o.path = path_;
    std::string error;
    HistoryStore::Open(o, quiet, &error);
    _exit(0);
  }
  // Killed while it copies the points (about 17 MB of them into the WAL, with no commit before
  // the copy is done): past its first steps, well before its end.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  std::error_code ec;
  while (fs::file_size(path_ + "-wal", ec) < (8u << 20) || ec) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the upgrade never wrote";
    ASSERT_EQ(waitpid(child, nullptr, WNOHANG), 0) << "the upgrade ended before the kill";
    usleep(1000);
  }
  kill(child, SIGKILL);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(Query(path_, "PRAGMA user_version"), "2");  // the transaction was not committed

  auto store = Open();
  ASSERT_TRUE(store);
  EXPECT_EQ(log_.Count("history file upgraded"), 1);
  EXPECT_TRUE(AsideFiles(dir_).empty());
  EXPECT_EQ(std::to_string(store->CountRows()), points);
  model::HistoryQuery session;
  session.session_id = "b-3";
  session.limit = 5;
  EXPECT_EQ(Ids(*store, session), (std::vector<std::int64_t>{2, 5, 8, 11, 14}));
}

}  // namespace
}  // namespace evonic::exporter
