#include "collectors/evonic/sqlite_file.h"

#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>

namespace evonic::collectors {

namespace {

// Long enough to ride out Evonic's own short write locks and WAL recovery, short enough that a
// stuck database cannot stall a collection cycle for long.
constexpr int kBusyTimeoutMs = 2000;

struct StatementFinalizer {
  void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
};
using Statement = std::unique_ptr<sqlite3_stmt, StatementFinalizer>;

std::string ErrorOf(sqlite3* db) { return db ? sqlite3_errmsg(db) : "out of memory"; }

Statement Prepare(sqlite3* db, const std::string& sql, std::string* error) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &raw, nullptr) !=
      SQLITE_OK) {
    sqlite3_finalize(raw);
    *error = ErrorOf(db);
    return nullptr;
  }
  return Statement(raw);
}

// One integer from a one-row statement; the statement is finalized before returning, which ends
// the implicit read transaction when no explicit one is open.
std::optional<std::int64_t> QueryInteger(sqlite3* db, const std::string& sql, std::string* error) {
  Statement statement = Prepare(db, sql, error);
  if (!statement) return std::nullopt;
  if (sqlite3_step(statement.get()) != SQLITE_ROW) {
    *error = ErrorOf(db);
    return std::nullopt;
  }
  return sqlite3_column_int64(statement.get(), 0);
}

bool Execute(sqlite3* db, const char* sql, std::string* error) {
  if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK) return true;
  *error = ErrorOf(db);
  return false;
}

// An explicit read transaction that is always ended: committed, or rolled back on any early
// return or exception, so that no read lock outlives the read.
class ReadTransaction {
 public:
  explicit ReadTransaction(sqlite3* db) : db_(db) {}
  ~ReadTransaction() {
    if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  ReadTransaction(const ReadTransaction&) = delete;
  ReadTransaction& operator=(const ReadTransaction&) = delete;

  bool Begin(std::string* error) { return Execute(db_, "BEGIN", error); }
  bool Commit(std::string* error) { return Execute(db_, "COMMIT", error); }

 private:
  sqlite3* db_;
};

// Reads data_version and the query's rows from one snapshot of the database.
std::optional<std::int64_t> ReadInOneTransaction(
    sqlite3* db, const std::string& query, const std::function<void(const SqliteRow&)>& on_row,
    std::string* error) {
  ReadTransaction transaction(db);
  if (!transaction.Begin(error)) return std::nullopt;
  const std::optional<std::int64_t> version = QueryInteger(db, "PRAGMA data_version", error);
  if (!version) return std::nullopt;
  {
    Statement statement = Prepare(db, query, error);
    if (!statement) return std::nullopt;
    const SqliteRow row(statement.get());
    int rc;
    while ((rc = sqlite3_step(statement.get())) == SQLITE_ROW) on_row(row);
    if (rc != SQLITE_DONE) {
      *error = ErrorOf(db);
      return std::nullopt;
    }
  }  // finalized before COMMIT
  if (!transaction.Commit(error)) return std::nullopt;
  return version;
}

// `file:` URI for a path; '%', '?' and '#' would otherwise be read as URI syntax.
std::string UriFor(const std::filesystem::path& path, bool immutable) {
  const std::string text = path.string();
  std::string uri = "file:";
  std::size_t start = 0;
  if (!text.empty() && text.front() == '/') {
    uri += "//";  // empty authority, so that a path starting with "//" is not read as a host
    while (start + 1 < text.size() && text[start + 1] == '/') ++start;
  }
  for (std::size_t i = start; i < text.size(); ++i) {
    switch (text[i]) {
      case '%':
        uri += "%25";
        break;
      case '?':
        uri += "%3f";
        break;
      case '#':
        uri += "%23";
        break;
      default:
        uri += text[i];
    }
  }
  uri += immutable ? "?mode=ro&immutable=1" : "?mode=ro";
  return uri;
}

std::string WithSuffix(const std::filesystem::path& path, const char* suffix) {
  return path.string() + suffix;
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace

std::string SqliteRow::Text(int column) const {
  const unsigned char* text = sqlite3_column_text(statement_, column);
  if (!text) return {};
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<std::size_t>(sqlite3_column_bytes(statement_, column)));
}

bool SqliteRow::Boolean(int column) const {
  switch (sqlite3_column_type(statement_, column)) {
    case SQLITE_INTEGER:
    case SQLITE_FLOAT:
      return sqlite3_column_double(statement_, column) != 0;
    case SQLITE_NULL:
      return false;
    default: {
      std::string text = Text(column);
      for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return text == "1" || text == "true" || text == "yes" || text == "on";
    }
  }
}

bool MayCreateSideFiles(const struct stat& database, const struct stat& folder, uid_t euid,
                        gid_t egid) {
  if (euid == 0 || euid == database.st_uid) return true;
  if (database.st_mode & S_IWOTH) return true;
  // A new file's group: the folder's when the folder is set-group-ID, else the process's.
  const gid_t new_file_group = (folder.st_mode & S_ISGID) ? folder.st_gid : egid;
  return (database.st_mode & S_IWGRP) && new_file_group == database.st_gid;
}

void SqliteFile::ConnectionCloser::operator()(sqlite3* db) const { sqlite3_close_v2(db); }

SqliteFile::SqliteFile(std::filesystem::path path, SideFiles side_files)
    : path_(std::move(path)), side_files_(side_files) {}
SqliteFile::~SqliteFile() = default;
SqliteFile::SqliteFile(SqliteFile&&) noexcept = default;
SqliteFile& SqliteFile::operator=(SqliteFile&&) noexcept = default;

bool SqliteFile::connection_open() const { return connection_ != nullptr; }

void SqliteFile::Close() {
  connection_.reset();
  read_identity_.reset();
  read_data_version_.reset();
}

SqliteFile::Outcome SqliteFile::Fail(std::string error) {
  Close();
  error_ = std::move(error);
  return Outcome::kFailed;
}

SqliteFile::Outcome SqliteFile::ReadIfChanged(const std::string& query,
                                              const std::function<void(const SqliteRow&)>& on_row) {
  // A second pass only when a lock-free snapshot read was overtaken by Evonic opening the file.
  for (int attempt = 0; attempt < 2; ++attempt) {
    struct stat st;
    if (::stat(path_.c_str(), &st) != 0) {
      const int err = errno;
      if (err == ENOENT || err == ENOTDIR) {
        Close();
        error_.clear();
        return Outcome::kMissing;
      }
      return Fail(std::string("stat: ") + std::strerror(err));
    }
    if (!S_ISREG(st.st_mode)) return Fail("not a regular file");
    FileIdentity identity;
    identity.device = static_cast<std::uint64_t>(st.st_dev);
    identity.inode = static_cast<std::uint64_t>(st.st_ino);
    identity.size = static_cast<std::uint64_t>(st.st_size);
    identity.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 +
                        static_cast<std::int64_t>(st.st_mtim.tv_nsec);

    if (connection_ && !identity.SameFile(open_identity_)) Close();  // replaced or re-created
    if (!connection_) {
      const bool may_create =
          side_files_ == SideFiles::kCreateWhenSafe && CreatingSideFilesIsSafe(st);
      if (!may_create && !SideFilesExist()) {
        std::optional<Outcome> outcome = ReadSnapshot(identity, query, on_row);
        if (outcome) return *outcome;
        continue;
      }
      connection_ = Open(/*immutable=*/false);
      if (!connection_) return Outcome::kFailed;
      open_identity_ = identity;
      read_identity_.reset();
      read_data_version_.reset();
    }

    std::string error;
    // Size or mtime of the main file change when a checkpoint writes it or something rewrites it
    // outside the WAL; data_version covers every commit through the WAL.
    if (read_data_version_ && read_identity_ && read_identity_->SameContent(identity)) {
      const std::optional<std::int64_t> version =
          QueryInteger(connection_.get(), "PRAGMA data_version", &error);
      if (!version) return Fail(error);
      if (*version == *read_data_version_) return Outcome::kUnchanged;
    }
    const std::optional<std::int64_t> version =
        ReadInOneTransaction(connection_.get(), query, on_row, &error);
    if (!version) return Fail(error);
    read_identity_ = identity;
    read_data_version_ = version;
    error_.clear();
    return Outcome::kRead;
  }
  return Fail("the database kept changing during lock-free reads");
}

std::optional<SqliteFile::Outcome> SqliteFile::ReadSnapshot(
    const FileIdentity& identity, const std::string& query,
    const std::function<void(const SqliteRow&)>& on_row) {
  // Without a WAL every commit rewrites the main file, so its size and mtime tell of changes.
  if (read_identity_ && !read_data_version_ && read_identity_->SameContent(identity)) {
    return Outcome::kUnchanged;
  }
  std::string error;
  {
    Connection snapshot = Open(/*immutable=*/true);
    if (!snapshot) return Outcome::kFailed;
    if (!ReadInOneTransaction(snapshot.get(), query, on_row, &error)) return Fail(error);
  }
  // immutable=1 takes no locks: if Evonic opened or wrote the file meanwhile, the rows may be
  // torn. Read again (live, now that the -wal and -shm exist) instead.
  struct stat after;
  if (::stat(path_.c_str(), &after) != 0 ||
      static_cast<std::uint64_t>(after.st_ino) != identity.inode ||
      static_cast<std::uint64_t>(after.st_size) != identity.size ||
      static_cast<std::int64_t>(after.st_mtim.tv_sec) * 1000000000 + after.st_mtim.tv_nsec !=
          identity.mtime_ns ||
      Exists(WithSuffix(path_, "-wal"))) {
    Close();
    return std::nullopt;
  }
  read_identity_ = identity;
  read_data_version_.reset();
  error_.clear();
  return Outcome::kRead;
}

bool SqliteFile::SideFilesExist() const {
  return Exists(WithSuffix(path_, "-wal")) && Exists(WithSuffix(path_, "-shm"));
}

bool SqliteFile::CreatingSideFilesIsSafe(const struct stat& database) const {
  struct stat folder;
  const std::filesystem::path parent = path_.has_parent_path() ? path_.parent_path() : ".";
  if (::stat(parent.c_str(), &folder) != 0) return false;
  return MayCreateSideFiles(database, folder, ::geteuid(), ::getegid());
}

SqliteFile::Connection SqliteFile::Open(bool immutable) {
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(UriFor(path_, immutable).c_str(), &raw,
                      SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, nullptr);
  Connection connection(raw);
  if (rc != SQLITE_OK) {
    error_ = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    Close();
    return nullptr;
  }
  sqlite3_busy_timeout(connection.get(), kBusyTimeoutMs);
  return connection;
}

}  // namespace evonic::collectors
