#pragma once
// The SQLite calls the history file makes, each with its handle owned (RAII) and its error said
// in words. No state; safe from any thread with a connection of its own.

#include <sqlite3.h>

#include <memory>
#include <optional>
#include <string>

namespace evonic::exporter::sql {

struct StatementFinalizer {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using Statement = std::unique_ptr<sqlite3_stmt, StatementFinalizer>;
struct ConnectionCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using Connection = std::unique_ptr<sqlite3, ConnectionCloser>;

/// The connection's last error ("out of memory" without a connection).
std::string ErrorOf(sqlite3* db);
/// One statement, or null and `error`.
Statement Prepare(sqlite3* db, const char* sql, std::string* error);
/// Runs `sql` (several statements allowed); false and `error` on failure.
bool Exec(sqlite3* db, const char* sql, std::string* error);
/// The first column of a one-row query, as text; nullopt on any error.
std::optional<std::string> QueryText(sqlite3* db, const char* sql, std::string* error);
/// Opens `path` with `flags` (plus NOMUTEX: one thread per connection), extended result codes and
/// a busy timeout of `busy_timeout_ms`; null and `error` on failure.
Connection OpenConnection(const std::string& path, int flags, int busy_timeout_ms,
                          std::string* error);

/// A figure times `scale`, as an integer when whole (as they nearly all are: bytes, counts), so
/// that SQLite stores it in 1 to 8 bytes; NULL when absent or not finite.
void BindNumber(sqlite3_stmt* s, int index, const std::optional<double>& v, double scale = 1);
/// A column as a number divided by `scale`; nullopt for NULL.
std::optional<double> ColumnNumber(sqlite3_stmt* s, int index, double scale = 1);
/// A column as text; "" for NULL.
std::string ColumnText(sqlite3_stmt* s, int index);

}  // namespace evonic::exporter::sql
