#include "exporter/rest_routes.h"

#include <memory>
#include <utility>

#include "exporter/render/rest_answer_cache.h"
#include "exporter/render/rest_api.h"

namespace evonic::exporter {

namespace {

HttpResponse ToHttpResponse(Answer answer) {
  HttpResponse r;
  r.status = answer.status;
  r.content_type = std::move(answer.content_type);
  r.headers = std::move(answer.headers);
  r.owned = std::move(answer.body);
  return r;
}

// A 200 answer served from `stored` (gzipped when it has gzip and the client accepts it, Vary
// either way); the response keeps `stored` alive while it is written, after any cache eviction.
HttpResponse FromStored(std::shared_ptr<const StoredAnswer> stored, const HttpRequest& req) {
  HttpResponse r;
  r.status = stored->plain.status;
  r.content_type = stored->plain.content_type;
  r.headers = stored->plain.headers;
  SetStoredBody(r, req, stored->plain.body, stored->gzip, stored);
  return r;
}

// A request: the stored answer of the latest snapshot when it is fresh, else a fresh answer.
HttpResponse Serve(const model::Latest<Exposition>& latest, const model::Clock& clock,
                   const HistorySource* history, RestAnswerCache& cache, const HttpRequest& req) {
  const double now = clock.NowSeconds();
  std::shared_ptr<const Exposition> e = latest.Get();
  if (IsHistoryPath(req.path)) {
    // Rendered for this request alone: compressed only when the client takes it.
    auto answer = std::make_shared<StoredAnswer>();
    answer->plain = HistoryAnswer(*e, req.path, req.query, history);
    if (answer->plain.status != 200) return ToHttpResponse(std::move(answer->plain));
    if (AcceptsGzip(req.Header("accept-encoding"))) answer->gzip = Gzip(answer->plain.body);
    return FromStored(std::move(answer), req);
  }
  // Freshness depends on the time, so it is checked on every request; given a fresh snapshot,
  // the answer depends only on the snapshot and the path.
  if (!IsFresh(*e->snapshot, now)) return ToHttpResponse(RestAnswer(*e, req.path, now));
  std::shared_ptr<const StoredAnswer> stored =
      cache.FindOrRender(e->snapshot->generation, req.path, [&] {
        auto answer = std::make_shared<StoredAnswer>();
        answer->plain = RestAnswer(*e, req.path, now);
        if (answer->plain.status == 200) answer->gzip = Gzip(answer->plain.body);
        return std::shared_ptr<const StoredAnswer>(std::move(answer));
      });
  if (stored->plain.status != 200) return ToHttpResponse(stored->plain);
  return FromStored(std::move(stored), req);
}

}  // namespace

void AddRestRoutes(const model::Latest<Exposition>& latest, const model::Clock& clock,
                   const HistorySource* history, Routes& routes) {
  auto cache = std::make_shared<RestAnswerCache>();
  routes["/api/*"] = {Access::kPersonal, [&latest, &clock, history, cache](const HttpRequest& req) {
                        return Serve(latest, clock, history, *cache, req);
                      }};
}

}  // namespace evonic::exporter
