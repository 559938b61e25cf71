#pragma once
// The JSON shim Evonic's UI expects, answered from the latest published snapshot (never from
// Docker):
//   GET /api/agents/<agent_id>/sandbox/stats   one agent's sandboxes
//   GET /api/sandbox/stats                     the whole pool, with totals
// The answers hold personal data (external_user_id); exporter/rest_routes.h serves them.

#include <string>

#include "exporter/render/answer.h"
#include "exporter/render/exposition.h"

namespace evonic::exporter {

/// Whether `snap` may be served at `now_seconds`: the engine answered and the last collection is
/// at most 3 intervals (plus its own duration) old. Otherwise the REST answer is 503.
bool IsFresh(const model::Snapshot& snap, double now_seconds);

/// The answer for one request path under /api/ at time `now_seconds` (exposed for tests).
Answer RestAnswer(const Exposition& current, const std::string& path, double now_seconds);

/// Whether `agent_id` could be an Evonic agent id (no '/', '%', "..", control bytes, 1 to 128
/// characters).
bool IsPlausibleAgentId(const std::string& agent_id);

}  // namespace evonic::exporter
