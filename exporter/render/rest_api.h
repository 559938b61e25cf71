#pragma once
// The JSON shim Evonic's UI expects, answered from the latest published snapshot (never from
// Docker):
//   GET /api/agents/<agent_id>/sandbox/stats   one agent's sandboxes
//   GET /api/sandbox/stats                     the whole pool, with totals
// The answers hold personal data (external_user_id); exporter/rest_routes.h serves them.

#include <functional>
#include <string>

#include "exporter/render/answer.h"
#include "exporter/render/exposition.h"
#include "model/freshness.h"
#include "model/history_point.h"

namespace evonic::exporter {

/// The REST answer is 503 when the snapshot is not fresh (model::IsFresh).
using model::IsFresh;

/// The answer for one request path under /api/ at time `now_seconds` (exposed for tests).
Answer RestAnswer(const Exposition& current, const std::string& path, double now_seconds);

/// Where history answers read from (exporter/history/history_store.h), as functions so that
/// rendering needs no database. Both must be thread-safe.
struct HistorySource {
  std::function<bool(const model::HistoryQuery&, model::HistoryPage*, std::string*)> read;
  std::function<bool(const std::string& agent_id)> has_agent;
};

/// True for /api/sandbox/stats/history and /api/agents/<agent_id>/sandbox/stats/history.
bool IsHistoryPath(const std::string& path);

/// The answer for a history path with its query string: points in the order they were written,
/// each with the keys and formats of a live container (without external_user_id) plus its time;
/// `next` when more points follow. 400 for a bad query or agent id, 404 for an unknown agent
/// (as the live answer; an agent that only the history knows is known) and when `source` is
/// null (history is off).
Answer HistoryAnswer(const Exposition& current, const std::string& path,
                     const std::string& query_string, const HistorySource* source);

/// Whether `agent_id` could be an Evonic agent id (no '/', '%', "..", control bytes, 1 to 128
/// characters).
bool IsPlausibleAgentId(const std::string& agent_id);

}  // namespace evonic::exporter
