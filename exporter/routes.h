#pragma once
// The exporter's own pages: the landing page, the telemetry path and /healthz. Each handler only
// reads the latest published Exposition: a request never waits on Docker.

#include <map>
#include <string>

#include "exporter/render/exposition.h"
#include "exporter/web/http_server.h"
#include "model/latest.h"

namespace evonic::exporter {

/// Adds "/", `telemetry_path` and "/healthz" to `routes`. `latest` must outlive the server.
void AddExporterRoutes(const model::Latest<Exposition>& latest, const std::string& telemetry_path,
                       const BuildInfo& build, Routes& routes);

inline constexpr const char* kExpositionContentType = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace evonic::exporter
