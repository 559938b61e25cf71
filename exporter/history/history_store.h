#pragma once
// The history file (--history.path): every sandbox's figures at each --history.interval, kept for
// --history.retention, in a SQLite file of its own (WAL, one transaction per write).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "logging/logger.h"
#include "model/history_point.h"

struct sqlite3;

namespace evonic::exporter {

/// \brief The history file: written by one thread, read by any.
///
/// Open() creates the file or checks the one found: a file that is not SQLite, is damaged
/// (quick_check), belongs to something else (another application_id) or is of a schema that
/// cannot be upgraded is renamed aside with a log line and a fresh one is started; its rows are
/// never served. A file of the previous schema (2) is upgraded in place first, in one
/// transaction, every point kept with its id (history_schema.h); if that fails, it is moved
/// aside too. A folder that cannot be written is an error naming the path. Append() writes one
/// point per sandbox in one transaction, then deletes at most `delete_batch` rows older than the
/// retention, so a write never stalls on a large deletion and the file stops growing once the
/// retention is reached (SQLite reuses the freed pages). A kill during a write loses at most that
/// write (WAL).
///
/// Thread-safety: Append() from one thread at a time (the writer); Read() from any number of
/// threads at once, each on a connection of its own (WAL lets them read while a write runs).
class HistoryStore {
 public:
  struct Options {
    std::string path;
    std::chrono::seconds retention{7 * 24 * 3600};
    std::size_t delete_batch = 5000;
  };
  static std::unique_ptr<HistoryStore> Open(const Options& options, logging::Logger& log,
                                            std::string* error);
  ~HistoryStore();
  HistoryStore(const HistoryStore&) = delete;
  HistoryStore& operator=(const HistoryStore&) = delete;

  /// Writes `points` (their time_seconds as given) and deletes what is older than `now` minus
  /// the retention. False and `error` when the write failed (nothing of it is kept).
  bool Append(const std::vector<model::HistoryPoint>& points, double now, std::string* error);

  /// Points matching `query` in id order, on a read-only connection of the call's own. One
  /// agent's points are read as one range of the file (they are stored together).
  bool Read(const model::HistoryQuery& query, model::HistoryPage* page, std::string* error) const;
  /// Whether any point of `agent_id` is in the file.
  bool HasAgent(const std::string& agent_id) const;

  /// Rows in the file now (for tests and benchmarks).
  std::int64_t CountRows() const;
  const std::string& path() const { return options_.path; }

 private:
  HistoryStore(const Options& options, sqlite3* db) : options_(options), db_(db) {}
  /// The sandboxes row of a point's sandbox (added when new, marked as written by `write_id`);
  /// 0 and `error` on failure. Writer only.
  std::int64_t SandboxId(const model::HistoryPoint& point, std::int64_t write_id,
                         std::string* error);
  Options options_;
  sqlite3* db_;  // the writer's connection, owned
  /// The agents row of `agent_id`; 0 and `error` on failure. Writer only.
  std::int64_t AgentId(const std::string& agent_id, std::string* error);
  std::unordered_map<std::string, std::int64_t> sandbox_ids_;  // writer only
  std::unordered_map<std::string, std::int64_t> agent_ids_;    // writer only
};

}  // namespace evonic::exporter
