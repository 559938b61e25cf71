#pragma once
// Helpers for the evonic/ tests: a temporary Evonic root, databases with Evonic's schema written
// through a connection kept open (as Evonic does), and a logger whose output the test can read.

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "logging/logger.h"
#include "tests/support/captured_log.h"

namespace evonic::collectors::test {

inline constexpr const char* kAgentsSchema =
    "CREATE TABLE IF NOT EXISTS agents (id TEXT PRIMARY KEY, name TEXT NOT NULL, "
    "description TEXT, system_prompt TEXT, sandbox_enabled BOOLEAN DEFAULT 0, "
    "enabled BOOLEAN DEFAULT 1, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)";
inline constexpr const char* kSessionsSchema =
    "CREATE TABLE IF NOT EXISTS chat_sessions (id TEXT PRIMARY KEY, agent_id TEXT NOT NULL, "
    "channel_id TEXT, external_user_id TEXT NOT NULL, bot_enabled BOOLEAN DEFAULT 1, "
    "archived BOOLEAN DEFAULT 0, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP, "
    "updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)";

/// A fresh folder, removed with everything in it at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "evonic-test-XXXXXX").string();
    if (!mkdtemp(pattern.data())) ADD_FAILURE() << "mkdtemp failed";
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

/// A read-write connection in WAL mode, kept open like Evonic's, closed at destruction.
class Writer {
 public:
  explicit Writer(const std::filesystem::path& path) {
    std::filesystem::create_directories(path.parent_path());
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) ADD_FAILURE() << "open " << path;
    sqlite3_busy_timeout(db_, 2000);
    Exec("PRAGMA journal_mode=WAL");
  }
  ~Writer() { sqlite3_close(db_); }
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  void Exec(const std::string& sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
      ADD_FAILURE() << sql << ": " << (error ? error : "?");
    }
    sqlite3_free(error);
  }
  /// PRAGMA wal_checkpoint(TRUNCATE): the busy flag (1 when a reader blocked it).
  int CheckpointBusy() {
    sqlite3_stmt* statement = nullptr;
    sqlite3_prepare_v2(db_, "PRAGMA wal_checkpoint(TRUNCATE)", -1, &statement, nullptr);
    int busy = -1;
    if (sqlite3_step(statement) == SQLITE_ROW) busy = sqlite3_column_int(statement, 0);
    sqlite3_finalize(statement);
    return busy;
  }

 private:
  sqlite3* db_ = nullptr;
};

inline std::filesystem::path EvonicDbPath(const std::filesystem::path& root) {
  return root / "shared" / "db" / "evonic.db";
}
inline std::filesystem::path ChatDbPath(const std::filesystem::path& root,
                                        const std::string& agent_id) {
  return root / "agents" / agent_id / "chat.db";
}

inline std::string AgentInsert(const std::string& id, const std::string& name, bool sandbox) {
  return "INSERT OR REPLACE INTO agents (id, name, sandbox_enabled) VALUES ('" + id + "', '" +
         name + "', " + (sandbox ? "1" : "0") + ")";
}
inline std::string SessionInsert(const std::string& id, const std::string& agent_id,
                                 const std::string& external_user_id) {
  return "INSERT INTO chat_sessions (id, agent_id, external_user_id) VALUES ('" + id + "', '" +
         agent_id + "', '" + external_user_id + "')";
}

inline void WriteFile(const std::filesystem::path& path, const std::string& bytes) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

using evonic::test::CapturedLog;

}  // namespace evonic::collectors::test
