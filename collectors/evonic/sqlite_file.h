#pragma once
// One of Evonic's SQLite files, read by the exporter without ever getting in Evonic's way.

#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

struct sqlite3;
struct sqlite3_stmt;

namespace evonic::collectors {

/// One result row, valid only inside the row callback.
class SqliteRow {
 public:
  explicit SqliteRow(sqlite3_stmt* statement) : statement_(statement) {}
  std::string Text(int column) const;  // NULL gives ""
  bool Boolean(int column) const;      // 0/1, or text such as "true"; NULL gives false

 private:
  sqlite3_stmt* statement_;
};

/// Whether SQLite may create `<db>-wal` and `<db>-shm` without locking Evonic out. SQLite makes
/// them with the database file's mode, owned by the creating process (root hands them to the
/// database's owner). A file that the database's owner cannot write makes every later Evonic
/// write fail with "attempt to write a readonly database". Pure; `folder` is the database's folder.
bool MayCreateSideFiles(const struct stat& database, const struct stat& folder, uid_t euid,
                        gid_t egid);

/// \brief Reads one SQLite database file read-only and tells whether it changed.
///
/// Guarantees:
/// - Never writes the database. Between calls no read transaction is open and no statement is
///   live, so Evonic's `PRAGMA wal_checkpoint(TRUNCATE)` is never blocked between reads; each
///   read is one short transaction (busy timeout 2 s).
/// - Never creates `-wal`/`-shm` files that Evonic could not write (see MayCreateSideFiles): when
///   they are missing (Evonic has the database closed, so there is no WAL content) and creating
///   them is not safe, the file is read as a lock-free snapshot (`immutable=1`) on a connection
///   closed straight after, and the read is discarded if Evonic opened the database meanwhile.
/// - Otherwise the connection is kept open between calls, and changes are noticed with
///   `PRAGMA data_version`, with the file's identity (device, inode) to notice a replaced file and
///   its size and modification time to notice writes outside the WAL.
/// Not thread-safe: one thread owns an instance.
class SqliteFile {
 public:
  enum class Outcome {
    kUnchanged,  // nothing changed since the last kRead (no rows delivered that count)
    kRead,       // the rows given to the callback are the file's current content
    kMissing,    // the file does not exist
    kFailed,     // could not be opened or read; see error()
  };
  enum class SideFiles { kCreateWhenSafe, kNeverCreate };

  explicit SqliteFile(std::filesystem::path path,
                      SideFiles side_files = SideFiles::kCreateWhenSafe);
  ~SqliteFile();
  SqliteFile(SqliteFile&&) noexcept;
  SqliteFile& operator=(SqliteFile&&) noexcept;
  SqliteFile(const SqliteFile&) = delete;
  SqliteFile& operator=(const SqliteFile&) = delete;

  /// Runs `query` in one read transaction if the file may have changed since the last kRead,
  /// calling `on_row` for each row. After kUnchanged, kMissing or kFailed any rows given to
  /// `on_row` must be discarded. A failure closes the connection; the next call reopens.
  Outcome ReadIfChanged(const std::string& query,
                        const std::function<void(const SqliteRow&)>& on_row);

  const std::string& error() const { return error_; }
  const std::filesystem::path& path() const { return path_; }
  bool connection_open() const;

  /// Closes the kept-open connection and forgets what was read.
  void Close();

 private:
  struct FileIdentity {
    std::uint64_t device = 0, inode = 0, size = 0;
    std::int64_t mtime_ns = 0;
    bool SameFile(const FileIdentity& o) const { return device == o.device && inode == o.inode; }
    bool SameContent(const FileIdentity& o) const {
      return SameFile(o) && size == o.size && mtime_ns == o.mtime_ns;
    }
  };
  struct ConnectionCloser {
    void operator()(sqlite3* db) const;
  };
  using Connection = std::unique_ptr<sqlite3, ConnectionCloser>;

  Outcome Fail(std::string error);
  // Nothing: the read was overtaken by Evonic opening the file; try again.
  std::optional<Outcome> ReadSnapshot(const FileIdentity& identity, const std::string& query,
                                      const std::function<void(const SqliteRow&)>& on_row);
  bool SideFilesExist() const;
  bool CreatingSideFilesIsSafe(const struct stat& database) const;
  Connection Open(bool immutable);

  std::filesystem::path path_;
  SideFiles side_files_;
  Connection connection_;                          // kept open between calls (live mode only)
  FileIdentity open_identity_;                     // the file connection_ was opened on
  std::optional<FileIdentity> read_identity_;      // the file as of the last kRead
  std::optional<std::int64_t> read_data_version_;  // live mode: data_version at the last kRead
  std::string error_;
};

}  // namespace evonic::collectors
