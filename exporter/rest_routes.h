#pragma once
// The REST shim on the web server (exporter/render/rest_api.h renders the answers):
//   GET /api/agents/<agent_id>/sandbox/stats   one agent's sandboxes
//   GET /api/sandbox/stats                     the whole pool, with totals
// The answers hold personal data (external_user_id): the route is Access::kPersonal.

#include "exporter/render/exposition.h"
#include "exporter/web/http_server.h"
#include "model/clock.h"
#include "model/latest.h"

namespace evonic::exporter {

/// Adds the "/api/*" route; freshness is judged by `clock`. `latest` and `clock` must outlive the
/// server. Handlers are thread-safe. The 200
/// answers are rendered once per published snapshot (RestAnswerCache) and served as stored,
/// gzipped when the client accepts it.
void AddRestRoutes(const model::Latest<Exposition>& latest, const model::Clock& clock,
                   Routes& routes);

}  // namespace evonic::exporter
