#pragma once
// The history file's layout (schema 3): its tables, the check that a file found is this exporter's
// history, and the upgrade of a file written with schema 2. No state; each call works on the
// connection it is given, from one thread at a time.

#include <cstdint>
#include <string>

struct sqlite3;

namespace evonic::exporter::history_schema {

/// The figures a point keeps besides its keys, in the order they are written and read.
inline constexpr const char* kValueColumns =
    "cpu_hundredths, memory_used, memory_limit, network_input, network_output, block_read, "
    "block_write, pids, pids_limit, bash_runs, bash_failures, bash_ms, python_runs, "
    "python_failures, python_ms, other_runs, other_failures, other_ms, oom_kills";

/// Why the open file cannot be this exporter's history (empty: it can, perhaps after Upgrade()):
/// not SQLite, another application's, a schema that cannot be upgraded, or damaged (quick_check).
std::string Unusable(sqlite3* db);

/// What Upgrade() did.
struct Upgraded {
  int from_version = 0;     // 0: nothing to do (an empty file or the current schema)
  std::int64_t points = 0;  // points carried over
};

/// Brings a file Unusable() accepted to the current schema, in one transaction: a kill or an
/// error leaves it as it was, and every point is carried over with its id, so cursors stay valid.
/// Then VACUUM gives back the space the old tables took (its failure is only a larger file).
/// False and `error` when the upgrade failed.
bool Upgrade(sqlite3* db, Upgraded* done, std::string* error);

/// Creates the tables of an empty file and marks it as this exporter's history of the current
/// schema (WAL, synchronous=NORMAL); idempotent for a file of the current schema.
bool Create(sqlite3* db, std::string* error);

}  // namespace evonic::exporter::history_schema
