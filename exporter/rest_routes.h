#pragma once
// The REST shim on the web server (exporter/render/rest_api.h renders the answers):
//   GET /api/agents/<agent_id>/sandbox/stats   one agent's sandboxes
//   GET /api/sandbox/stats                     the whole pool, with totals
//   GET .../sandbox/stats/history?since=...     both, from the history file (--history.path)
// The answers hold personal data (external_user_id): the route is Access::kPersonal.

#include "exporter/render/exposition.h"
#include "exporter/render/rest_api.h"
#include "exporter/web/http_server.h"
#include "model/clock.h"
#include "model/latest.h"

namespace evonic::exporter {

/// Adds the "/api/*" route; freshness is judged by `clock`. `latest` and `clock` must outlive the
/// server. Handlers are thread-safe. The 200
/// answers are rendered once per published snapshot (RestAnswerCache) and served as stored,
/// gzipped when the client accepts it.
/// `history` (null: history is off) must outlive the server too; history answers are read from
/// it on every request, gzipped when the client accepts it.
void AddRestRoutes(const model::Latest<Exposition>& latest, const model::Clock& clock,
                   const HistorySource* history, Routes& routes);

}  // namespace evonic::exporter
