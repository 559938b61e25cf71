#include "exporter/history/history_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>

#include "exporter/history/history_schema.h"
#include "exporter/history/sqlite_calls.h"

namespace evonic::exporter {

namespace {

using sql::BindNumber;
using sql::ColumnNumber;
using sql::ColumnText;
using sql::Connection;
using sql::ErrorOf;
using sql::Exec;
using sql::Prepare;
using sql::QueryText;
using sql::Statement;

// Readers and the writer wait this long for each other's locks (WAL: only checkpoints contend).
constexpr int kBusyTimeoutMs = 2000;

Connection OpenConnection(const std::string& path, int flags, std::string* error) {
  return sql::OpenConnection(path, flags, kBusyTimeoutMs, error);
}

std::string Timestamp() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

// Renames the file and its WAL side files aside; the name it got, or empty on failure.
std::string MoveAside(const std::string& path, std::string* error) {
  const std::string aside = path + ".unusable-" + Timestamp();
  std::error_code ec;
  std::filesystem::rename(path, aside, ec);
  if (ec) {
    *error = "cannot rename " + path + " aside: " + ec.message();
    return "";
  }
  for (const char* side : {"-wal", "-shm"}) {
    std::filesystem::rename(path + side, aside + side, ec);  // absent is fine
  }
  return aside;
}

// The names of the sandboxes one read meets, each asked of the file once: a join per point took
// a third of the time of reading one agent's points.
class SandboxNames {
 public:
  struct Names {
    std::string agent_id, session_id, container_id, container_name;
  };
  bool Prepare(sqlite3* db, std::string* error) {
    select_ = sql::Prepare(db,
                           "SELECT agent_id, session_id, container_id, container_name FROM "
                           "sandboxes WHERE id = ?",
                           error);
    return select_ != nullptr;
  }
  /// Empty names for a sandbox that is not in the file (no point refers to one).
  const Names& Of(std::int64_t sandbox) {
    auto it = names_.find(sandbox);
    if (it != names_.end()) return it->second;
    Names n;
    sqlite3_reset(select_.get());
    sqlite3_bind_int64(select_.get(), 1, sandbox);
    if (sqlite3_step(select_.get()) == SQLITE_ROW) {
      int i = 0;
      for (std::string* text : {&n.agent_id, &n.session_id, &n.container_id, &n.container_name}) {
        *text = ColumnText(select_.get(), i++);
      }
    }
    return names_.emplace(sandbox, std::move(n)).first->second;
  }

 private:
  Statement select_;
  std::unordered_map<std::int64_t, Names> names_;
};

}  // namespace

std::unique_ptr<HistoryStore> HistoryStore::Open(const Options& options, logging::Logger& log,
                                                 std::string* error) {
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  Connection db = OpenConnection(options.path, flags, error);
  std::string why = db ? history_schema::Unusable(db.get()) : "";
  if (db && why.empty()) {
    const auto start = std::chrono::steady_clock::now();
    history_schema::Upgraded upgraded;
    std::string upgrade_error;
    if (!history_schema::Upgrade(db.get(), &upgraded, &upgrade_error)) {
      why = "its schema could not be upgraded: " + upgrade_error;
    } else if (upgraded.from_version != 0) {
      const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
      log.Info("history file upgraded", {{"file", options.path},
                                         {"from_schema", std::to_string(upgraded.from_version)},
                                         {"points", std::to_string(upgraded.points)},
                                         {"seconds", std::to_string(took.count())}});
    }
  }
  if (db && !why.empty()) {
    db.reset();
    std::string aside = MoveAside(options.path, error);
    if (aside.empty()) return nullptr;
    log.Warn("history file unusable: moved aside, starting a new one",
             {{"file", options.path}, {"moved_to", aside}, {"reason", why}});
    db = OpenConnection(options.path, flags, error);
  }
  if (!db) {
    *error = "cannot open history file " + options.path + ": " + *error;
    return nullptr;
  }
  if (!history_schema::Create(db.get(), error)) {
    *error = "cannot write history file " + options.path + ": " + *error;
    return nullptr;
  }
  return std::unique_ptr<HistoryStore>(new HistoryStore(options, db.release()));
}

HistoryStore::~HistoryStore() { sqlite3_close_v2(db_); }

std::int64_t HistoryStore::AgentId(const std::string& agent_id, std::string* error) {
  auto it = agent_ids_.find(agent_id);
  if (it != agent_ids_.end()) return it->second;
  Statement upsert = Prepare(db_,
                             "INSERT INTO agents (agent_id) VALUES (?) ON CONFLICT DO UPDATE SET "
                             "agent_id = excluded.agent_id RETURNING id",
                             error);
  if (!upsert) return 0;
  sqlite3_bind_text(upsert.get(), 1, agent_id.c_str(), static_cast<int>(agent_id.size()),
                    SQLITE_STATIC);
  if (sqlite3_step(upsert.get()) != SQLITE_ROW) {
    *error = ErrorOf(db_);
    return 0;
  }
  const std::int64_t id = sqlite3_column_int64(upsert.get(), 0);
  agent_ids_.emplace(agent_id, id);
  return id;
}

std::int64_t HistoryStore::SandboxId(const model::HistoryPoint& p, std::int64_t write_id,
                                     std::string* error) {
  std::string key = p.container_id;
  for (const std::string* part : {&p.agent_id, &p.session_id, &p.container_name}) {
    key += '\0';
    key += *part;
  }
  auto it = sandbox_ids_.find(key);
  if (it != sandbox_ids_.end()) return it->second;
  Statement upsert = Prepare(db_,
                             "INSERT INTO sandboxes (container_id, agent_id, session_id, "
                             "container_name, last_write) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO "
                             "UPDATE SET last_write = excluded.last_write RETURNING id",
                             error);
  if (!upsert) return 0;
  int i = 1;
  for (const std::string* text : {&p.container_id, &p.agent_id, &p.session_id, &p.container_name}) {
    sqlite3_bind_text(upsert.get(), i++, text->c_str(), static_cast<int>(text->size()),
                      SQLITE_STATIC);
  }
  sqlite3_bind_int64(upsert.get(), i, write_id);
  if (sqlite3_step(upsert.get()) != SQLITE_ROW) {
    *error = ErrorOf(db_);
    return 0;
  }
  const std::int64_t id = sqlite3_column_int64(upsert.get(), 0);
  sandbox_ids_.emplace(std::move(key), id);
  return id;
}

bool HistoryStore::Append(const std::vector<model::HistoryPoint>& points, double now,
                          std::string* error) {
  if (!Exec(db_, "BEGIN IMMEDIATE", error)) return false;
  auto fail = [&] {
    if (error->empty()) *error = ErrorOf(db_);
    std::string ignored;  // the write's own error is the one to report
    Exec(db_, "ROLLBACK", &ignored);
    sandbox_ids_.clear();  // ids given in the rolled-back transaction are gone
    agent_ids_.clear();
    return false;
  };
  error->clear();
  const auto now_ms = static_cast<sqlite3_int64>(std::llround(now * 1000));
  Statement write =
      Prepare(db_,
              "INSERT INTO writes (t_ms, first_point) SELECT ?, IFNULL(MAX(id), 0) + 1 FROM points "
              "RETURNING id, first_point",
              error);
  if (!write) return fail();
  sqlite3_bind_int64(write.get(), 1, now_ms);
  if (sqlite3_step(write.get()) != SQLITE_ROW) return fail();
  const std::int64_t write_id = sqlite3_column_int64(write.get(), 0);
  std::int64_t point_id = sqlite3_column_int64(write.get(), 1);  // ids go on in write order
  write.reset();
  Statement touch = Prepare(db_, "UPDATE sandboxes SET last_write = ? WHERE id = ?", error);
  const std::string insert_point =
      std::string("INSERT INTO points (id, write_id, sandbox, agent, ") +
      history_schema::kValueColumns +
      ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
  Statement insert = Prepare(db_, insert_point.c_str(), error);
  if (!touch || !insert) return fail();
  for (const model::HistoryPoint& p : points) {
    const std::int64_t sandbox = SandboxId(p, write_id, error);
    const std::int64_t agent = sandbox == 0 ? 0 : AgentId(p.agent_id, error);
    if (agent == 0) return fail();
    sqlite3_reset(touch.get());
    sqlite3_bind_int64(touch.get(), 1, write_id);
    sqlite3_bind_int64(touch.get(), 2, sandbox);
    if (sqlite3_step(touch.get()) != SQLITE_DONE) return fail();
    sqlite3_stmt* s = insert.get();
    sqlite3_reset(s);
    int i = 1;
    sqlite3_bind_int64(s, i++, point_id++);
    sqlite3_bind_int64(s, i++, write_id);
    sqlite3_bind_int64(s, i++, sandbox);
    sqlite3_bind_int64(s, i++, agent);
    BindNumber(s, i++, p.cpu_percent, 100);
    for (const std::optional<double>* v :
         {&p.memory_used_bytes, &p.memory_limit_bytes, &p.network_input_bytes,
          &p.network_output_bytes, &p.block_read_bytes, &p.block_write_bytes, &p.pids,
          &p.pids_limit}) {
      BindNumber(s, i++, *v);
    }
    for (const model::ToolCounters& tool : p.events.tools) {
      BindNumber(s, i++, tool.runs);
      BindNumber(s, i++, tool.failures);
      BindNumber(s, i++, tool.seconds, 1000);
    }
    BindNumber(s, i++, p.events.oom_kills);
    if (sqlite3_step(s) != SQLITE_DONE) return fail();
  }
  touch.reset();
  insert.reset();
  // Retention, in a bounded batch: points before the first write that is still kept, then the
  // writes and sandboxes no point refers to any more.
  const auto cutoff_ms = static_cast<sqlite3_int64>(
      std::llround((now - static_cast<double>(options_.retention.count())) * 1000));
  Statement prune = Prepare(
      db_,
      "DELETE FROM points WHERE id IN (SELECT id FROM points WHERE id < IFNULL((SELECT "
      "first_point FROM writes WHERE t_ms >= ?1 ORDER BY id LIMIT 1), (SELECT MAX(id) + 1 FROM "
      "points)) ORDER BY id LIMIT ?2)",
      error);
  if (!prune) return fail();
  sqlite3_bind_int64(prune.get(), 1, cutoff_ms);
  sqlite3_bind_int64(prune.get(), 2, static_cast<sqlite3_int64>(options_.delete_batch));
  if (sqlite3_step(prune.get()) != SQLITE_DONE) return fail();
  prune.reset();
  if (!Exec(db_,
            "DELETE FROM writes WHERE id < (SELECT write_id FROM points ORDER BY id LIMIT 1); "
            "DELETE FROM sandboxes WHERE last_write < (SELECT write_id FROM points ORDER BY id "
            "LIMIT 1);",
            error)) {
    return fail();
  }
  if (sqlite3_changes(db_) > 0) {
    sandbox_ids_.clear();
    // Agents without a sandbox left go too (a few rows: a scan is fine).
    if (!Exec(db_, "DELETE FROM agents WHERE agent_id NOT IN (SELECT agent_id FROM sandboxes)",
              error)) {
      return fail();
    }
    agent_ids_.clear();
  }
  if (!Exec(db_, "COMMIT", error)) return fail();
  return true;
}

bool HistoryStore::Read(const model::HistoryQuery& q, model::HistoryPage* page,
                        std::string* error) const {
  Connection db = OpenConnection(options_.path, SQLITE_OPEN_READONLY, error);
  if (!db) return false;
  // The writes in the time range give the first point id to read (points are written in
  // order). An agent's points are one range of the table (NOT INDEXED: its primary key), in id
  // order, so no sort and the page stops at its limit; the pool is read along the index in id
  // order, a session alone through the sandbox index. The bound is one expression: with a join
  // to compute it SQLite sorted every page.
  const char* index = !q.agent_id.empty()     ? "NOT INDEXED "
                      : !q.session_id.empty() ? "INDEXED BY points_by_sandbox "
                                              : "INDEXED BY points_by_id ";
  std::string sql = std::string("SELECT p.id, w.t_ms, p.sandbox, ") +
                    history_schema::kValueColumns + " FROM points p ";
  sql += index;
  sql +=
      "JOIN writes w ON w.id = p.write_id "
      "WHERE p.id >= MAX((SELECT MIN(first_point) FROM writes WHERE t_ms >= ?1 AND t_ms <= ?2), "
      "?3 + 1) AND w.t_ms >= ?1 AND w.t_ms <= ?2";
  if (!q.agent_id.empty()) sql += " AND p.agent = (SELECT id FROM agents WHERE agent_id = ?4)";
  if (!q.session_id.empty()) {
    sql += " AND p.sandbox IN (SELECT id FROM sandboxes WHERE session_id = ?5)";
  }
  sql += " ORDER BY p.id LIMIT ?6";
  Statement s = Prepare(db.get(), sql.c_str(), error);
  if (!s) return false;
  auto ms = [](double seconds) {
    return static_cast<sqlite3_int64>(std::clamp(seconds * 1000, -9.0e18, 9.0e18));
  };
  sqlite3_bind_int64(s.get(), 1, ms(q.since));
  sqlite3_bind_int64(s.get(), 2, q.until ? ms(*q.until) : INT64_MAX);
  sqlite3_bind_int64(s.get(), 3, q.after_id);
  if (!q.agent_id.empty()) {
    sqlite3_bind_text(s.get(), 4, q.agent_id.c_str(), static_cast<int>(q.agent_id.size()),
                      SQLITE_STATIC);
  }
  if (!q.session_id.empty()) {
    sqlite3_bind_text(s.get(), 5, q.session_id.c_str(), static_cast<int>(q.session_id.size()),
                      SQLITE_STATIC);
  }
  // One more than asked for: whether there is a next page.
  sqlite3_bind_int64(s.get(), 6, static_cast<sqlite3_int64>(q.limit) + 1);
  page->points.clear();
  page->more = false;
  SandboxNames names;
  if (!names.Prepare(db.get(), error)) return false;
  int rc;
  while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) {
    if (page->points.size() == q.limit) {
      page->more = true;
      break;
    }
    model::HistoryPoint p;
    int i = 0;
    p.id = sqlite3_column_int64(s.get(), i++);
    p.time_seconds = static_cast<double>(sqlite3_column_int64(s.get(), i++)) / 1000;
    const SandboxNames::Names& n = names.Of(sqlite3_column_int64(s.get(), i++));
    p.agent_id = n.agent_id;
    p.session_id = n.session_id;
    p.container_id = n.container_id;
    p.container_name = n.container_name;
    p.cpu_percent = ColumnNumber(s.get(), i++, 100);
    for (std::optional<double>* v :
         {&p.memory_used_bytes, &p.memory_limit_bytes, &p.network_input_bytes,
          &p.network_output_bytes, &p.block_read_bytes, &p.block_write_bytes, &p.pids,
          &p.pids_limit}) {
      *v = ColumnNumber(s.get(), i++);
    }
    for (model::ToolCounters& tool : p.events.tools) {
      tool.runs = ColumnNumber(s.get(), i++).value_or(0);
      tool.failures = ColumnNumber(s.get(), i++).value_or(0);
      tool.seconds = ColumnNumber(s.get(), i++, 1000).value_or(0);
    }
    p.events.oom_kills = ColumnNumber(s.get(), i++).value_or(0);
    page->points.push_back(std::move(p));
  }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
    *error = ErrorOf(db.get());
    return false;
  }
  return true;
}

bool HistoryStore::HasAgent(const std::string& agent_id) const {
  std::string error;
  Connection db = OpenConnection(options_.path, SQLITE_OPEN_READONLY, &error);
  if (!db) return false;
  Statement s = Prepare(db.get(), "SELECT 1 FROM agents WHERE agent_id = ? LIMIT 1", &error);
  if (!s) return false;
  sqlite3_bind_text(s.get(), 1, agent_id.c_str(), static_cast<int>(agent_id.size()), SQLITE_STATIC);
  return sqlite3_step(s.get()) == SQLITE_ROW;
}

std::int64_t HistoryStore::CountRows() const {
  std::string error;
  Connection db = OpenConnection(options_.path, SQLITE_OPEN_READONLY, &error);
  if (!db) return -1;
  auto n = QueryText(db.get(), "SELECT count(*) FROM points", &error);
  return n ? std::stoll(*n) : -1;
}

}  // namespace evonic::exporter
