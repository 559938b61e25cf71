#pragma once
// The live page (/ui/): the pool view at /ui/, one agent's view at /ui/agents/<agent_id>, and
// their files at /ui/assets/<name>, all compiled into the binary (ui_assets.h). The page reads
// only the REST endpoints, from the browser; serving it touches no snapshot, engine or history.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/ui/ui_assets.h"
#include "exporter/web/http_server.h"

namespace evonic::exporter {

/// \brief The live page's files, answered as stored.
///
/// Everything is prepared at construction (content types, gzip, ETags, the page for each depth),
/// so Serve() only looks up and adds headers; the object is immutable afterwards and Serve() is
/// thread-safe. Every answer, 404 included, carries a strict Content-Security-Policy (no inline
/// script or style; `frame-ancestors` as configured) and revalidates with its ETag (304).
class UiSite {
 public:
  struct Options {
    /// The CSP frame-ancestors sources ("'none'": the page may not be framed).
    std::string frame_ancestors = "'none'";
  };

  /// Throws std::logic_error when `files` lack index.html or its `<base href="./">` (a build
  /// defect, caught by the unit tests).
  UiSite(const std::vector<EmbeddedFile>& files, const Options& options);

  /// The answer for a path under /ui/ (404 for anything else).
  HttpResponse Serve(const HttpRequest& req) const;

  /// The Content-Security-Policy header every answer carries.
  const std::string& content_security_policy() const { return csp_; }

  /// The Content-Type served for a file name, by its extension; "" when unknown.
  static std::string ContentTypeOf(std::string_view name);

 private:
  struct File {
    std::string content_type;
    std::string plain;
    std::string gzip;  // empty when gzip would not be smaller
    std::string etag;  // weak: the plain and gzip bodies share it
  };
  File Make(std::string_view name, std::string body, std::string_view sha256) const;
  const File* Find(const std::string& path) const;
  void AddHeaders(HttpResponse& r) const;

  std::string csp_;
  std::map<std::string, File, std::less<>> assets_;
  File pool_page_;   // index.html at /ui/
  File agent_page_;  // index.html at /ui/agents/<id>: its <base> points one folder up
};

/// Adds "/ui" (a redirect to "ui/") and "/ui/*" served by `site`, both with Access::kPersonal
/// exactly as the REST routes: never served without credentials, 401 while no users are
/// configured. The routes keep `site` alive.
void AddUiRoutes(std::shared_ptr<const UiSite> site, Routes& routes);

}  // namespace evonic::exporter
