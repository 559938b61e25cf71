#include "exporter/history/sqlite_calls.h"

#include <cmath>

namespace evonic::exporter::sql {

std::string ErrorOf(sqlite3* db) { return db != nullptr ? sqlite3_errmsg(db) : "out of memory"; }

Statement Prepare(sqlite3* db, const char* sql, std::string* error) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &raw, nullptr) != SQLITE_OK) {
    sqlite3_finalize(raw);
    *error = ErrorOf(db);
    return nullptr;
  }
  return Statement(raw);
}

bool Exec(sqlite3* db, const char* sql, std::string* error) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    *error = message != nullptr ? message : ErrorOf(db);
    sqlite3_free(message);
    return false;
  }
  return true;
}

std::optional<std::string> QueryText(sqlite3* db, const char* sql, std::string* error) {
  Statement s = Prepare(db, sql, error);
  if (!s) return std::nullopt;
  int rc = sqlite3_step(s.get());
  if (rc != SQLITE_ROW) {
    *error = rc == SQLITE_DONE ? "no answer" : ErrorOf(db);
    return std::nullopt;
  }
  const unsigned char* text = sqlite3_column_text(s.get(), 0);
  return std::string(text != nullptr ? reinterpret_cast<const char*>(text) : "");
}

Connection OpenConnection(const std::string& path, int flags, int busy_timeout_ms,
                          std::string* error) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  Connection db(raw);
  if (rc != SQLITE_OK) {
    *error = ErrorOf(raw);
    return nullptr;
  }
  sqlite3_busy_timeout(raw, busy_timeout_ms);
  sqlite3_extended_result_codes(raw, 1);
  return db;
}

void BindNumber(sqlite3_stmt* s, int index, const std::optional<double>& v, double scale) {
  if (!v || !std::isfinite(*v)) {
    sqlite3_bind_null(s, index);
    return;
  }
  const double scaled = *v * scale;
  const double rounded = std::round(scaled);
  if (std::fabs(rounded) < 9.0e18 && (scale != 1 || rounded == scaled)) {
    sqlite3_bind_int64(s, index, static_cast<sqlite3_int64>(rounded));
  } else {
    sqlite3_bind_double(s, index, scaled);
  }
}

std::optional<double> ColumnNumber(sqlite3_stmt* s, int index, double scale) {
  if (sqlite3_column_type(s, index) == SQLITE_NULL) return std::nullopt;
  return sqlite3_column_double(s, index) / scale;
}

std::string ColumnText(sqlite3_stmt* s, int index) {
  const unsigned char* text = sqlite3_column_text(s, index);
  return text != nullptr ? reinterpret_cast<const char*>(text) : "";
}

}  // namespace evonic::exporter::sql
