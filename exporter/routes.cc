#include "exporter/routes.h"

namespace evonic::exporter {

void AddExporterRoutes(const model::Latest<Exposition>& latest, const std::string& telemetry_path,
                       const BuildInfo& build, Routes& routes) {
  routes[telemetry_path] = {Access::kTelemetry, [&latest](const HttpRequest& req) {
                              std::shared_ptr<const Exposition> e = latest.Get();
                              HttpResponse r;
                              r.content_type = kExpositionContentType;
                              r.headers.emplace_back("Cache-Control", "no-store");
                              SetStoredBody(r, req, e->text, e->gzip, e);
                              return r;
                            }};
  routes["/healthz"] = {Access::kPublic,
                        [](const HttpRequest&) { return HttpResponse::Text(200, "OK\n"); }};
  const std::string landing =
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Evonic Sandbox "
      "Exporter</title></head>\n<body><h1>Evonic Sandbox Exporter</h1>\n<p>Version " +
      build.version + " (" + build.revision + ")</p>\n<ul><li><a href=\"." + telemetry_path +
      "\">Metrics</a></li>\n<li><a href=\"./ui/\">Live page</a> (credentials)</li>\n<li><a "
      "href=\"./healthz\">Health</a></li></ul>\n</body></html>\n";
  routes["/"] = {Access::kPublic, [landing](const HttpRequest&) {
                   HttpResponse r = HttpResponse::Text(200, landing);
                   r.content_type = "text/html; charset=utf-8";
                   return r;
                 }};
}

}  // namespace evonic::exporter
