#pragma once
// What Evonic's own databases say about agents and sessions, read by evonic/ and carried,
// immutable, in each Snapshot. Holds personal data (external_user_id): only authenticated REST
// answers may show it; never a Prometheus label, a log line or an error message.

#include <map>
#include <optional>
#include <string>

namespace evonic::model {

struct EvonicAgent {
  std::string id;
  std::string name;
  bool sandbox_enabled = false;
};

struct EvonicSession {
  std::string id;  // chat_sessions.id, e.g. "data-analyst-e0d4d663"
  std::string agent_id;
  std::string external_user_id;  // personal data
};

/// One consistent read of Evonic's databases. Immutable once published.
struct EvonicView {
  bool db_up = false;  // the last refresh read evonic.db (else this is the last good view)
  double last_refresh_timestamp_seconds = 0;
  std::map<std::string, EvonicAgent> agents;      // by agent id
  std::map<std::string, EvonicSession> sessions;  // by session id, every agent's
  std::optional<double> max_containers;           // SANDBOX_MAX_CONTAINERS (env or <root>/.env)
};

}  // namespace evonic::model
