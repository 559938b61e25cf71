#include "exporter/history/history_schema.h"

#include <sqlite3.h>

#include <cstdlib>

#include "exporter/history/sqlite_calls.h"

namespace evonic::exporter::history_schema {

namespace {

using sql::Exec;
using sql::QueryText;

// "EvSx": marks the file as this exporter's history, so a foreign SQLite file is never served.
constexpr int kApplicationId = 0x45765378;
// 1: points by sandbox; 2: points carry their agent (an index in id order); 3: one agent's points
// are stored together (the points table is clustered by agent and id).
constexpr int kSchemaVersion = 3;
constexpr int kOldestUpgradable = 2;

// Sandboxes and agents are written once and points refer to them; a point's time is its write's.
// Points are kept in (agent, id) order, so one agent's points in time order are one range of
// the table (a 24 h read of one agent takes few pages, not one page a point); the pool and the
// cursor use the index in id order. Whole numbers are stored as integers (CPU % in hundredths):
// a point takes about 97 bytes with its index entries, 7 days of 100 sandboxes at 1 m 93 MiB
// (benchmarks/history_bench.cc).
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS sandboxes (
  id INTEGER PRIMARY KEY,
  container_id TEXT NOT NULL,
  agent_id TEXT NOT NULL,
  session_id TEXT NOT NULL,
  container_name TEXT NOT NULL,
  last_write INTEGER NOT NULL,
  UNIQUE (container_id, agent_id, session_id, container_name));
CREATE INDEX IF NOT EXISTS sandboxes_by_agent ON sandboxes (agent_id);
CREATE TABLE IF NOT EXISTS agents (
  id INTEGER PRIMARY KEY,
  agent_id TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS writes (
  id INTEGER PRIMARY KEY,
  t_ms INTEGER NOT NULL,
  first_point INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS writes_by_time ON writes (t_ms);
CREATE TABLE IF NOT EXISTS points (
  agent INTEGER NOT NULL,
  id INTEGER NOT NULL,
  write_id INTEGER NOT NULL,
  sandbox INTEGER NOT NULL,
  cpu_hundredths INTEGER,
  memory_used INTEGER,
  memory_limit INTEGER,
  network_input INTEGER,
  network_output INTEGER,
  block_read INTEGER,
  block_write INTEGER,
  pids INTEGER,
  pids_limit INTEGER,
  bash_runs INTEGER NOT NULL, bash_failures INTEGER NOT NULL, bash_ms INTEGER NOT NULL,
  python_runs INTEGER NOT NULL, python_failures INTEGER NOT NULL, python_ms INTEGER NOT NULL,
  other_runs INTEGER NOT NULL, other_failures INTEGER NOT NULL, other_ms INTEGER NOT NULL,
  oom_kills INTEGER NOT NULL,
  PRIMARY KEY (agent, id)) WITHOUT ROWID;
)sql";
// Apart, so that an upgrade builds them once the points are in (faster than entry by entry).
constexpr const char* kPointIndexes = R"sql(
CREATE INDEX IF NOT EXISTS points_by_id ON points (id);
CREATE INDEX IF NOT EXISTS points_by_sandbox ON points (sandbox);
)sql";

std::string Mark() {
  return "PRAGMA application_id=" + std::to_string(kApplicationId) +
         "; PRAGMA user_version=" + std::to_string(kSchemaVersion) + ";";
}

}  // namespace

std::string Unusable(sqlite3* db) {
  std::string error;
  auto app = QueryText(db, "PRAGMA application_id", &error);
  if (!app) return "not a SQLite database (" + error + ")";
  auto tables = QueryText(db, "SELECT count(*) FROM sqlite_master", &error);
  if (!tables) return "not a SQLite database (" + error + ")";
  if (*app == "0" && *tables == "0") return "";  // empty: ours to set up
  if (*app != std::to_string(kApplicationId)) {
    return "another application's SQLite file (application_id " + *app + ")";
  }
  auto version = QueryText(db, "PRAGMA user_version", &error);
  const int found = version ? std::atoi(version->c_str()) : -1;
  if (found < kOldestUpgradable || found > kSchemaVersion) {
    return "history schema " + version.value_or("?") + ", expected " +
           std::to_string(kOldestUpgradable) + " to " + std::to_string(kSchemaVersion);
  }
  auto check = QueryText(db, "PRAGMA quick_check", &error);
  if (!check || *check != "ok") return "damaged: " + check.value_or(error);
  return "";
}

bool Upgrade(sqlite3* db, Upgraded* done, std::string* error) {
  *done = {};
  auto version = QueryText(db, "PRAGMA user_version", error);
  if (!version) return false;
  if (*version != std::to_string(kOldestUpgradable)) return true;  // empty or current
  // Schema 2 -> 3: the points table is rebuilt in (agent, id) order, ids kept; the other tables
  // stay as they are.
  const std::string columns = std::string("agent, id, write_id, sandbox, ") + kValueColumns;
  const std::string upgrade =
      std::string("BEGIN IMMEDIATE; DROP INDEX points_by_sandbox; DROP INDEX points_by_agent; ") +
      "ALTER TABLE points RENAME TO points_v2; " + kSchema + "INSERT INTO points (" + columns +
      ") SELECT " + columns + " FROM points_v2 ORDER BY agent, id; DROP TABLE points_v2; " +
      kPointIndexes + Mark();
  if (!Exec(db, upgrade.c_str(), error)) {
    std::string ignored;  // the upgrade's own error is the one to report
    Exec(db, "ROLLBACK", &ignored);
    return false;
  }
  auto points = QueryText(db, "SELECT count(*) FROM points", error);
  if (!points || !Exec(db, "COMMIT", error)) {
    std::string ignored;
    Exec(db, "ROLLBACK", &ignored);
    return false;
  }
  done->from_version = kOldestUpgradable;
  done->points = std::stoll(*points);
  // Without it the file keeps the old table's pages (free for later writes); the WAL it fills is
  // emptied at once.
  std::string ignored;
  Exec(db, "VACUUM; PRAGMA wal_checkpoint(TRUNCATE);", &ignored);
  return true;
}

bool Create(sqlite3* db, std::string* error) {
  // The schema is created in one transaction; WAL so that readers never block the writer;
  // synchronous=NORMAL: a power cut may lose the last write, never the file.
  const std::string setup = std::string("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; ") +
                            "PRAGMA journal_size_limit=4194304; BEGIN; " + kSchema + kPointIndexes +
                            Mark() + " COMMIT;";
  return Exec(db, setup.c_str(), error);
}

}  // namespace evonic::exporter::history_schema
