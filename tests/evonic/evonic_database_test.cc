// EvonicDatabase on databases made here with Evonic's schema in WAL mode: what is read, what
// changes, what is kept when files are missing or corrupt, and what is logged (never a user id).

#include "collectors/evonic/evonic_database.h"

#include <gtest/gtest.h>

#include "tests/evonic/test_databases.h"

namespace evonic::collectors {
namespace {

using test::CapturedLog;
using test::ChatDbPath;
using test::EvonicDbPath;
using test::TempDir;
using test::Writer;

class EvonicDatabaseTest : public ::testing::Test {
 protected:
  void TearDown() override {
    // External user ids are personal data: never in a log line.
    const std::string text = log_.Text();
    EXPECT_EQ(text.find("@example.com"), std::string::npos) << text;
  }

  // evonic.db with agents "admin" (sandbox off) and "data-analyst" (sandbox on), each with a
  // chat.db holding one session.
  void MakeTwoAgents() {
    agents_ = std::make_unique<Writer>(EvonicDbPath(root_.path()));
    agents_->Exec(test::kAgentsSchema);
    agents_->Exec(test::AgentInsert("admin", "Admin Assistant", false));
    agents_->Exec(test::AgentInsert("data-analyst", "Data Analyst", true));
    admin_chat_ = std::make_unique<Writer>(ChatDbPath(root_.path(), "admin"));
    admin_chat_->Exec(test::kSessionsSchema);
    admin_chat_->Exec(test::SessionInsert("admin-6f07b262", "admin", "user@example.com"));
    analyst_chat_ = std::make_unique<Writer>(ChatDbPath(root_.path(), "data-analyst"));
    analyst_chat_->Exec(test::kSessionsSchema);
    analyst_chat_->Exec(
        test::SessionInsert("data-analyst-e0d4d663", "data-analyst", "alice@example.com"));
  }

  TempDir root_;
  CapturedLog log_;
  model::ManualClock clock_{1795700000.5};
  std::unique_ptr<Writer> agents_, admin_chat_, analyst_chat_;
};

TEST_F(EvonicDatabaseTest, ReadsAgentsAndSessions) {
  MakeTwoAgents();
  EvonicDatabase db(root_.path(), log_.logger(), clock_, std::nullopt);
  const auto view = db.Refresh();
  ASSERT_TRUE(view);
  EXPECT_TRUE(view->db_up);
  EXPECT_EQ(view->last_refresh_timestamp_seconds, clock_.NowSeconds());
  ASSERT_EQ(view->agents.size(), 2u);
  EXPECT_EQ(view->agents.at("admin").name, "Admin Assistant");
  EXPECT_FALSE(view->agents.at("admin").sandbox_enabled);
  EXPECT_TRUE(view->agents.at("data-analyst").sandbox_enabled);
  ASSERT_EQ(view->sessions.size(), 2u);
  const model::EvonicSession& session = view->sessions.at("data-analyst-e0d4d663");
  EXPECT_EQ(session.agent_id, "data-analyst");
  EXPECT_EQ(session.external_user_id, "alice@example.com");
  EXPECT_FALSE(view->max_containers);
  EXPECT_EQ(log_.Problems(), 0) << log_.Text();
}

TEST_F(EvonicDatabaseTest, SameViewUntilSomethingChanges) {
  MakeTwoAgents();
  EvonicDatabase db(root_.path(), log_.logger(), clock_, std::nullopt);
  const auto first = db.Refresh();
  EXPECT_EQ(db.Refresh(), first);
  EXPECT_EQ(db.Refresh(), first);
  const auto index = db.session_index();
  EXPECT_EQ(db.session_index(), index) << "one index per view";

  analyst_chat_->Exec(
      test::SessionInsert("data-analyst-0badf00d", "data-analyst", "bob@example.com"));
  const auto second = db.Refresh();
  EXPECT_NE(second, first);
  EXPECT_EQ(second->sessions.count("data-analyst-0badf00d"), 1u);
  EXPECT_EQ(db.Refresh(), second);
  EXPECT_NE(db.session_index(), index);
  EXPECT_TRUE(db.session_index()->Match("data-analyst-0badf00d"));

  // A checkpoint rewrites the main file without changing the content: still the same view.
  EXPECT_EQ(analyst_chat_->CheckpointBusy(), 0);
  EXPECT_EQ(db.Refresh(), second);

  agents_->Exec("UPDATE agents SET sandbox_enabled = 1 WHERE id = 'admin'");
  const auto third = db.Refresh();
  EXPECT_NE(third, second);
  EXPECT_TRUE(third->agents.at("admin").sandbox_enabled);
}

TEST_F(EvonicDatabaseTest, NoReadTransactionLeftBetweenRefreshes) {
  MakeTwoAgents();
  EvonicDatabase db(root_.path(), log_.logger(), clock_, std::nullopt);
  for (int i = 0; i < 10; ++i) {
    analyst_chat_->Exec(test::SessionInsert("data-analyst-" + std::to_string(10000000 + i),
                                            "data-analyst", "c@example.com"));
    agents_->Exec(test::AgentInsert("admin", "Admin " + std::to_string(i), false));
    db.Refresh();
    EXPECT_EQ(analyst_chat_->CheckpointBusy(), 0);
    EXPECT_EQ(agents_->CheckpointBusy(), 0);
    EXPECT_EQ(admin_chat_->CheckpointBusy(), 0);
  }
  EXPECT_EQ(db.Refresh()->sessions.size(), 12u);
}

TEST_F(EvonicDatabaseTest, NewAgentWhoseChatDbAppearsLater) {
  MakeTwoAgents();
  EvonicDatabase db(root_.path(), log_.logger(), clock_, std::nullopt);
  db.Refresh();
  agents_->Exec(test::AgentInsert("researcher", "Researcher", true));
  std::filesystem::create_directories(root_.path() / "agents" / "researcher");
  auto view = db.Refresh();
  EXPECT_EQ(view->agents.count("researcher"), 1u);
  EXPECT_EQ(view->sessions.size(), 2u);
  db.Refresh();
  EXPECT_EQ(log_.Problems(), 0) << "a missing chat.db is normal: " << log_.Text();

  Writer chat(ChatDbPath(root_.path(), "researcher"));
  chat.Exec(test::kSessionsSchema);
  chat.Exec(test::SessionInsert("researcher-12345678", "researcher", "dave@example.com"));
  view = db.Refresh();
  ASSERT_EQ(view->sessions.count("researcher-12345678"), 1u);
  EXPECT_EQ(view->sessions.at("researcher-12345678").agent_id, "researcher");
}

TEST_F(EvonicDatabaseTest, AgentFolderDeletedAndAgentRowDeleted) {
  MakeTwoAgents();
  EvonicDatabase db(root_.path(), log_.logger(), clock_, std::nullopt);
  EXPECT_EQ(db.Refresh()->sessions.size(), 2u);

  admin_chat_.reset();
  std::filesystem::remove_all(root_.path() / "agents" / "admin");
  auto view = db.Refresh();
  EXPECT_EQ(view->sessions.count("admin-6f07b262"), 0u);
  EXPECT_EQ(view->agents.count("admin"), 1u) << "the row is still there";

  agents_->Exec("DELETE FROM agents WHERE id = 'data-analyst'");
  view = db.Refresh();
  EXPECT_EQ(view->agents.count("data-analyst"), 0u);
  EXPECT_TRUE(view->sessions.empty()) << "a removed agent's sessions go with it";
  EXPECT_EQ(log_.Problems(), 0) << log_.Text();
}

TEST_F(EvonicDatabaseTest, EvonicDbMissingAtStartThenCreated) {
  EvonicDatabase db(root_.path(), log_.logger(), clock_, std::nullopt);
  auto view = db.Refresh();
  EXPECT_FALSE(view->db_up);
  EXPECT_TRUE(view->agents.empty());
  EXPECT_EQ(db.Refresh(), view);
  db.Refresh();
  EXPECT_EQ(log_.Problems(), 1) << "one line when the problem starts: " << log_.Text();
  EXPECT_EQ(log_.Count("evonic.db"), 1);

  MakeTwoAgents();
  view = db.Refresh();
  EXPECT_TRUE(view->db_up);
  EXPECT_EQ(view->agents.size(), 2u);
  EXPECT_EQ(view->sessions.size(), 2u);
  EXPECT_EQ(log_.Count("readable again"), 1) << log_.Text();
  EXPECT_EQ(log_.Problems(), 1);
}

TEST_F(EvonicDatabaseTest, CorruptEvonicDbKeepsLastGoodView) {
  MakeTwoAgents();
  EvonicDatabase db(root_.path(), log_.logger(), clock_, std::nullopt);
  const auto good = db.Refresh();
  ASSERT_TRUE(good->db_up);

  agents_.reset();
  const auto path = EvonicDbPath(root_.path());
  std::filesystem::remove(path.string() + "-wal");
  std::filesystem::remove(path.string() + "-shm");
  std::filesystem::remove(path);
  test::WriteFile(path, std::string(8192, '\x5a'));
  const auto bad = db.Refresh();
  EXPECT_FALSE(bad->db_up);
  EXPECT_EQ(bad->agents.size(), 2u) << "last good agents kept";
  EXPECT_EQ(bad->sessions.size(), 2u) << "last good sessions kept";
  EXPECT_EQ(bad->last_refresh_timestamp_seconds, good->last_refresh_timestamp_seconds);
  EXPECT_EQ(db.Refresh(), bad);
  db.Refresh();
  EXPECT_EQ(log_.Problems(), 1) << log_.Text();
  EXPECT_EQ(log_.Count("not a database"), 1) << log_.Text();

  std::filesystem::remove(path);
  Writer fixed(path);
  fixed.Exec(test::kAgentsSchema);
  fixed.Exec(test::AgentInsert("admin", "Admin Assistant", false));
  const auto recovered = db.Refresh();
  EXPECT_TRUE(recovered->db_up);
  EXPECT_EQ(recovered->agents.size(), 1u);
  EXPECT_EQ(recovered->sessions.size(), 1u) << "data-analyst is gone, and its sessions";
  EXPECT_EQ(log_.Count("readable again"), 1);
}

TEST_F(EvonicDatabaseTest, EvonicDbOverwrittenInPlace) {
  MakeTwoAgents();
  EvonicDatabase db(root_.path(), log_.logger(), clock_, std::nullopt);
  ASSERT_TRUE(db.Refresh()->db_up);
  // Everything in the main file, so that the garbage below is what a read finds (the reader's
  // open connection keeps the WAL from being deleted, and SQLite would serve pages from it).
  EXPECT_EQ(agents_->CheckpointBusy(), 0);
  agents_.reset();
  test::WriteFile(EvonicDbPath(root_.path()), std::string(10000, '\x01'));
  const auto bad = db.Refresh();
  EXPECT_FALSE(bad->db_up);
  EXPECT_EQ(bad->agents.size(), 2u);
  EXPECT_EQ(log_.Problems(), 1) << log_.Text();
}

TEST_F(EvonicDatabaseTest, CorruptChatDbKeepsThatAgentsSessions) {
  MakeTwoAgents();
  EvonicDatabase db(root_.path(), log_.logger(), clock_, std::nullopt);
  db.Refresh();
  EXPECT_EQ(admin_chat_->CheckpointBusy(), 0);
  admin_chat_.reset();
  const auto path = ChatDbPath(root_.path(), "admin");
  std::filesystem::remove(path.string() + "-wal");
  std::filesystem::remove(path.string() + "-shm");
  std::filesystem::remove(path);
  test::WriteFile(path, "garbage, not SQLite");
  auto view = db.Refresh();
  EXPECT_TRUE(view->db_up);
  EXPECT_EQ(view->sessions.count("admin-6f07b262"), 1u);
  db.Refresh();
  EXPECT_EQ(log_.Problems(), 1) << log_.Text();
  EXPECT_EQ(log_.Count("admin/chat.db"), 1);

  std::filesystem::remove(path);
  view = db.Refresh();
  EXPECT_EQ(view->sessions.count("admin-6f07b262"), 0u);
  EXPECT_EQ(log_.Count("problem over"), 1) << log_.Text();
}

TEST_F(EvonicDatabaseTest, MaxContainersFromEnvironmentOrDotenv) {
  MakeTwoAgents();
  test::WriteFile(root_.path() / ".env", "SANDBOX_MAX_CONTAINERS=\"15\"\n");
  EvonicDatabase from_env(root_.path(), log_.logger(), clock_, "20");
  EXPECT_EQ(from_env.Refresh()->max_containers, 20.0);
  EvonicDatabase from_file(root_.path(), log_.logger(), clock_, std::nullopt);
  const auto view = from_file.Refresh();
  EXPECT_EQ(view->max_containers, 15.0);
  EXPECT_EQ(from_file.Refresh(), view);
  test::WriteFile(root_.path() / ".env", "SANDBOX_MAX_CONTAINERS=16\n");
  EXPECT_EQ(from_file.Refresh()->max_containers, 16.0);
}

TEST_F(EvonicDatabaseTest, AgentIdsThatCannotBeFoldersAreSkipped) {
  MakeTwoAgents();
  agents_->Exec(test::AgentInsert("..", "Dots", true));
  agents_->Exec(test::AgentInsert("x/../../etc", "Slash", true));
  EvonicDatabase db(root_.path(), log_.logger(), clock_, std::nullopt);
  const auto view = db.Refresh();
  EXPECT_EQ(view->agents.size(), 4u);
  EXPECT_EQ(view->sessions.size(), 2u);
  EXPECT_EQ(log_.Problems(), 0) << log_.Text();
}

}  // namespace
}  // namespace evonic::collectors
