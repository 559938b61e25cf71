#include "collectors/evonic/evonic_database.h"

#include <utility>

namespace evonic::collectors {

namespace {

constexpr const char* kAgentsQuery = "SELECT id, name, sandbox_enabled FROM agents";
constexpr const char* kSessionsQuery = "SELECT id, agent_id, external_user_id FROM chat_sessions";

// An agent id becomes a folder name: anything that could leave `<root>/agents/` is not read.
bool IsSafeFolderName(const std::string& id) {
  return !id.empty() && id != "." && id != ".." && id.find('/') == std::string::npos &&
         id.find('\0') == std::string::npos;
}

bool SameAgents(const std::map<std::string, model::EvonicAgent>& a,
                const std::map<std::string, model::EvonicAgent>& b) {
  if (a.size() != b.size()) return false;
  for (auto i = a.begin(), j = b.begin(); i != a.end(); ++i, ++j) {
    if (i->first != j->first || i->second.name != j->second.name ||
        i->second.sandbox_enabled != j->second.sandbox_enabled) {
      return false;
    }
  }
  return true;
}

bool SameSessions(const std::vector<model::EvonicSession>& a,
                  const std::vector<model::EvonicSession>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].id != b[i].id || a[i].agent_id != b[i].agent_id ||
        a[i].external_user_id != b[i].external_user_id) {
      return false;
    }
  }
  return true;
}

}  // namespace

EvonicDatabase::EvonicDatabase(std::filesystem::path evonic_root, logging::Logger& logger,
                               const model::Clock& clock,
                               std::optional<std::string> max_containers_environment)
    : root_(std::filesystem::absolute(evonic_root)),
      logger_(logger),
      clock_(clock),
      max_containers_(std::move(max_containers_environment), root_ / ".env", logger),
      agents_file_(root_ / "shared" / "db" / "evonic.db"),
      view_(std::make_shared<const model::EvonicView>()) {}

std::shared_ptr<const model::EvonicView> EvonicDatabase::Refresh() {
  bool db_up = false;
  bool changed = RefreshAgents(&db_up);
  if (db_up != view_->db_up) changed = true;
  // While evonic.db cannot be read the agent list is unknown, so the last good view stays whole.
  if (db_up && RefreshChatDatabases()) changed = true;
  const std::optional<double> max_containers = max_containers_.Current();
  if (max_containers != view_->max_containers) changed = true;
  if (changed) {
    std::shared_ptr<model::EvonicView> view = BuildView(db_up);
    view->max_containers = max_containers;
    view_ = std::move(view);
  }
  return view_;
}

std::shared_ptr<const SessionIndex> EvonicDatabase::session_index() {
  if (!session_index_ || &session_index_->view() != view_.get()) {
    session_index_ = std::make_shared<const SessionIndex>(view_);
  }
  return session_index_;
}

bool EvonicDatabase::RefreshAgents(bool* readable) {
  std::map<std::string, model::EvonicAgent> agents;
  const SqliteFile::Outcome outcome =
      agents_file_.ReadIfChanged(kAgentsQuery, [&agents](const SqliteRow& row) {
        model::EvonicAgent agent{row.Text(0), row.Text(1), row.Boolean(2)};
        if (!agent.id.empty()) agents.emplace(agent.id, std::move(agent));
      });
  *readable = outcome == SqliteFile::Outcome::kRead || outcome == SqliteFile::Outcome::kUnchanged;
  if (!*readable) {
    if (!agents_problem_reported_) {
      const std::string error = outcome == SqliteFile::Outcome::kMissing
                                    ? std::string("file does not exist")
                                    : agents_file_.error();
      logger_.Warn("cannot read Evonic's agent database; keeping the last good agents and sessions",
                   {{"file", agents_file_.path().string()}, {"err", error}});
      agents_problem_reported_ = true;
    }
    return false;
  }
  if (agents_problem_reported_) {
    logger_.Info("Evonic's agent database is readable again",
                 {{"file", agents_file_.path().string()}});
    agents_problem_reported_ = false;
  }
  if (outcome != SqliteFile::Outcome::kRead || SameAgents(agents, agents_)) return false;
  agents_ = std::move(agents);
  return true;
}

bool EvonicDatabase::RefreshChatDatabases() {
  bool changed = false;
  for (auto it = chats_.begin(); it != chats_.end();) {
    if (agents_.count(it->first)) {
      ++it;
      continue;
    }
    // The agent is gone: its sessions go, and its connection is closed.
    if (!it->second.sessions.empty()) changed = true;
    if (it->second.problem_reported) {
      logger_.Info("agent chat database problem over: agent removed",
                   {{"file", it->second.file.path().string()}});
    }
    it = chats_.erase(it);
  }
  for (const auto& entry : agents_) {
    const std::string& agent_id = entry.first;
    if (!IsSafeFolderName(agent_id)) continue;
    ChatDatabase& chat =
        chats_.try_emplace(agent_id, root_ / "agents" / agent_id / "chat.db").first->second;
    if (RefreshChatDatabase(agent_id, chat)) changed = true;
  }
  return changed;
}

bool EvonicDatabase::RefreshChatDatabase(const std::string& agent_id, ChatDatabase& chat) {
  std::vector<model::EvonicSession> sessions;
  const SqliteFile::Outcome outcome =
      chat.file.ReadIfChanged(kSessionsQuery, [&](const SqliteRow& row) {
        model::EvonicSession session{row.Text(0), row.Text(1), row.Text(2)};
        if (session.id.empty()) return;
        if (session.agent_id.empty()) session.agent_id = agent_id;
        sessions.push_back(std::move(session));
      });
  if (outcome == SqliteFile::Outcome::kFailed) {
    if (!chat.problem_reported) {
      logger_.Warn("cannot read an agent's chat database; keeping its last good sessions",
                   {{"file", chat.file.path().string()}, {"err", chat.file.error()}});
      chat.problem_reported = true;
    }
    return false;
  }
  if (chat.problem_reported) {
    logger_.Info("agent chat database problem over",
                 {{"file", chat.file.path().string()},
                  {"state", outcome == SqliteFile::Outcome::kMissing ? "absent" : "readable"}});
    chat.problem_reported = false;
  }
  if (outcome == SqliteFile::Outcome::kMissing) sessions.clear();
  if (outcome == SqliteFile::Outcome::kUnchanged || SameSessions(sessions, chat.sessions)) {
    return false;
  }
  chat.sessions = std::move(sessions);
  return true;
}

std::shared_ptr<model::EvonicView> EvonicDatabase::BuildView(bool db_up) const {
  auto view = std::make_shared<model::EvonicView>();
  view->db_up = db_up;
  view->last_refresh_timestamp_seconds =
      db_up ? clock_.NowSeconds() : view_->last_refresh_timestamp_seconds;
  view->agents = agents_;
  // A session id names its agent, so two chat.db files cannot rightly share one; if they do, the
  // first agent in id order keeps it.
  for (const auto& [agent_id, chat] : chats_) {
    for (const model::EvonicSession& session : chat.sessions)
      view->sessions.emplace(session.id, session);
  }
  return view;
}

}  // namespace evonic::collectors
