// SqliteFile: change detection, no read transaction left open, and never creating -wal/-shm
// files when that is not safe.

#include "collectors/evonic/sqlite_file.h"

#include <gtest/gtest.h>

#include <vector>

#include "tests/evonic/test_databases.h"

namespace evonic::collectors {
namespace {

using test::TempDir;
using test::Writer;

std::vector<std::string> Ids(SqliteFile& file, SqliteFile::Outcome* outcome) {
  std::vector<std::string> ids;
  *outcome = file.ReadIfChanged("SELECT id FROM chat_sessions ORDER BY id",
                                [&ids](const SqliteRow& row) { ids.push_back(row.Text(0)); });
  return ids;
}

bool Exists(const std::filesystem::path& path) { return std::filesystem::exists(path); }

TEST(SqliteFile, MissingThenReadThenUnchangedThenChanged) {
  TempDir dir;
  const auto path = dir.path() / "chat.db";
  SqliteFile file(path);
  SqliteFile::Outcome outcome;
  Ids(file, &outcome);
  EXPECT_EQ(outcome, SqliteFile::Outcome::kMissing);

  Writer writer(path);
  writer.Exec(test::kSessionsSchema);
  writer.Exec(test::SessionInsert("a-1", "a", "l@example.com"));
  EXPECT_EQ(Ids(file, &outcome), std::vector<std::string>{"a-1"});
  EXPECT_EQ(outcome, SqliteFile::Outcome::kRead);
  EXPECT_TRUE(file.connection_open()) << "kept open between reads";
  Ids(file, &outcome);
  EXPECT_EQ(outcome, SqliteFile::Outcome::kUnchanged);

  writer.Exec(test::SessionInsert("a-2", "a", "m@example.com"));
  EXPECT_EQ(Ids(file, &outcome), (std::vector<std::string>{"a-1", "a-2"}));
  EXPECT_EQ(outcome, SqliteFile::Outcome::kRead);
}

TEST(SqliteFile, CheckpointNotBlockedBetweenReads) {
  TempDir dir;
  const auto path = dir.path() / "chat.db";
  Writer writer(path);
  writer.Exec(test::kSessionsSchema);
  SqliteFile file(path);
  SqliteFile::Outcome outcome;
  for (int i = 0; i < 20; ++i) {
    writer.Exec(test::SessionInsert("a-" + std::to_string(i), "a", "n@example.com"));
    Ids(file, &outcome);
    EXPECT_EQ(outcome, SqliteFile::Outcome::kRead);
    EXPECT_EQ(writer.CheckpointBusy(), 0) << "after read " << i;
    Ids(file, &outcome);  // the checkpoint rewrote the main file: read again, still no lock
    EXPECT_EQ(writer.CheckpointBusy(), 0) << "after second read " << i;
  }
}

TEST(SqliteFile, FailureOnGarbageAndErrorMessage) {
  TempDir dir;
  const auto path = dir.path() / "chat.db";
  test::WriteFile(path, std::string(4096, 'x'));
  SqliteFile file(path);
  SqliteFile::Outcome outcome;
  Ids(file, &outcome);
  EXPECT_EQ(outcome, SqliteFile::Outcome::kFailed);
  EXPECT_NE(file.error().find("not a database"), std::string::npos) << file.error();
  EXPECT_FALSE(file.connection_open());
}

TEST(SqliteFile, NeverCreateReadsAClosedDatabaseWithoutSideFiles) {
  TempDir dir;
  const auto path = dir.path() / "chat.db";
  {
    Writer writer(path);
    writer.Exec(test::kSessionsSchema);
    writer.Exec(test::SessionInsert("a-1", "a", "o@example.com"));
  }  // the last connection closed: Evonic has the database closed, -wal and -shm are gone
  ASSERT_FALSE(Exists(path.string() + "-wal"));
  SqliteFile file(path, SqliteFile::SideFiles::kNeverCreate);
  SqliteFile::Outcome outcome;
  EXPECT_EQ(Ids(file, &outcome), std::vector<std::string>{"a-1"});
  EXPECT_EQ(outcome, SqliteFile::Outcome::kRead);
  EXPECT_FALSE(Exists(path.string() + "-wal"));
  EXPECT_FALSE(Exists(path.string() + "-shm"));
  EXPECT_FALSE(file.connection_open());
  Ids(file, &outcome);
  EXPECT_EQ(outcome, SqliteFile::Outcome::kUnchanged);

  // Evonic opens it again: now the reader may keep a connection on the existing side files.
  Writer writer(path);
  writer.Exec(test::SessionInsert("a-2", "a", "p@example.com"));
  EXPECT_EQ(Ids(file, &outcome), (std::vector<std::string>{"a-1", "a-2"}));
  EXPECT_EQ(outcome, SqliteFile::Outcome::kRead);
  EXPECT_TRUE(file.connection_open());
  EXPECT_EQ(writer.CheckpointBusy(), 0);
}

TEST(SqliteFile, MayCreateSideFiles) {
  struct stat database {};
  struct stat folder {};
  database.st_uid = 1000;
  database.st_gid = 1000;
  database.st_mode = S_IFREG | 0644;
  folder.st_gid = 50;
  folder.st_mode = S_IFDIR | 0775;
  EXPECT_TRUE(MayCreateSideFiles(database, folder, 0, 0)) << "root: SQLite hands them over";
  EXPECT_TRUE(MayCreateSideFiles(database, folder, 1000, 1000)) << "the owner";
  EXPECT_FALSE(MayCreateSideFiles(database, folder, 65534, 1000)) << "0644: owner only";
  database.st_mode = S_IFREG | 0664;
  EXPECT_TRUE(MayCreateSideFiles(database, folder, 65534, 1000)) << "same group, g+w";
  EXPECT_FALSE(MayCreateSideFiles(database, folder, 65534, 65534)) << "other group";
  folder.st_mode = S_IFDIR | S_ISGID | 02775;
  folder.st_gid = 1000;
  EXPECT_TRUE(MayCreateSideFiles(database, folder, 65534, 65534)) << "setgid folder of the group";
  database.st_mode = S_IFREG | 0666;
  folder.st_mode = S_IFDIR | 0777;
  EXPECT_TRUE(MayCreateSideFiles(database, folder, 65534, 65534)) << "writable by all";
}

}  // namespace
}  // namespace evonic::collectors
