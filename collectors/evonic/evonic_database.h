#pragma once
// Evonic's own databases, read-only, turned into immutable EvonicViews.

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "collectors/evonic/max_containers.h"
#include "collectors/evonic/session_match.h"
#include "collectors/evonic/sqlite_file.h"
#include "logging/logger.h"
#include "model/clock.h"
#include "model/evonic_view.h"

namespace evonic::collectors {

/// \brief Reads agents (`<root>/shared/db/evonic.db`, table `agents`), every listed agent's
/// sessions
/// (`<root>/agents/<agent_id>/chat.db`, table `chat_sessions`) and SANDBOX_MAX_CONTAINERS
/// (environment, else `<root>/.env`).
///
/// Guarantees:
/// - Read-only and never in Evonic's way: see SqliteFile (no write, no read transaction or live
///   statement between refreshes, no -wal/-shm files created that Evonic could not write).
/// - Refresh() re-reads only files that changed (data_version, file identity) and returns the same
///   pointer when nothing changed. Agents appearing or vanishing from `agents`, and chat.db files
///   appearing or vanishing, are handled on each refresh; a missing chat.db means no sessions and
///   no log line.
/// - A missing or unreadable evonic.db keeps the last good agents and sessions with db_up=false; an
///   unreadable chat.db keeps that agent's last good sessions. Each problem is logged once when it
///   starts and once when it ends, naming the file, never any row content (external_user_id is
///   personal data and is never logged).
/// - last_refresh_timestamp_seconds is when the databases were last read successfully with a
///   change found (the view's age), not when they were last checked.
///
/// Not thread-safe: one thread (the collection thread) owns an instance and calls Refresh()
/// before each cycle. The returned views and SessionIndex objects are immutable and may be shared
/// with any thread.
class EvonicDatabase {
 public:
  /// `max_containers_environment`: the process's SANDBOX_MAX_CONTAINERS, if set (the caller reads
  /// the environment; this class never does).
  EvonicDatabase(std::filesystem::path evonic_root, logging::Logger& logger,
                 const model::Clock& clock, std::optional<std::string> max_containers_environment);
  EvonicDatabase(const EvonicDatabase&) = delete;
  EvonicDatabase& operator=(const EvonicDatabase&) = delete;

  /// Reads what changed and returns the current view (never null).
  std::shared_ptr<const model::EvonicView> Refresh();

  /// The view of the last Refresh() (an empty one with db_up=false before the first).
  std::shared_ptr<const model::EvonicView> view() const { return view_; }

  /// A session index for view(), built at most once per view.
  std::shared_ptr<const SessionIndex> session_index();

 private:
  struct ChatDatabase {
    explicit ChatDatabase(std::filesystem::path path) : file(std::move(path)) {}
    SqliteFile file;
    std::vector<model::EvonicSession> sessions;  // last good read
    bool problem_reported = false;
  };

  // Both return whether what they read differs from before.
  bool RefreshAgents(bool* readable);
  bool RefreshChatDatabases();
  bool RefreshChatDatabase(const std::string& agent_id, ChatDatabase& chat);
  std::shared_ptr<model::EvonicView> BuildView(bool db_up) const;

  std::filesystem::path root_;
  logging::Logger& logger_;
  const model::Clock& clock_;
  MaxContainersSetting max_containers_;
  SqliteFile agents_file_;
  bool agents_problem_reported_ = false;
  std::map<std::string, model::EvonicAgent> agents_;  // last good read
  std::map<std::string, ChatDatabase> chats_;         // by agent id
  std::shared_ptr<const model::EvonicView> view_;
  std::shared_ptr<const SessionIndex> session_index_;
};

}  // namespace evonic::collectors
