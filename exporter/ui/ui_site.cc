#include "exporter/ui/ui_site.h"

#include <stdexcept>
#include <utility>

#include "exporter/render/exposition.h"
#include "exporter/render/rest_api.h"

namespace evonic::exporter {

namespace {

constexpr std::string_view kPagePrefix = "/ui/";
constexpr std::string_view kAgentsPrefix = "/ui/agents/";
constexpr std::string_view kAssetsPrefix = "/ui/assets/";
constexpr std::string_view kPage = "index.html";
// The page's relative links (assets, the REST endpoints) resolve against its <base>: "./" at
// /ui/, "../" at /ui/agents/<id>, so that both work behind a proxy that adds a path prefix.
constexpr std::string_view kPoolBase = "<base href=\"./\">";
constexpr std::string_view kAgentBase = "<base href=\"../\">";

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// If-None-Match matches when one of its tags equals `etag` by the weak comparison (RFC 9110
// 13.1.2: W/ is ignored), or is "*".
bool NoneMatch(std::string_view header, std::string_view etag) {
  if (StartsWith(etag, "W/")) etag.remove_prefix(2);
  while (!header.empty()) {
    std::size_t comma = header.find(',');
    std::string_view tag = Trim(header.substr(0, comma));
    if (tag == "*") return true;
    if (StartsWith(tag, "W/")) tag.remove_prefix(2);
    if (tag == etag) return true;
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

std::string UiSite::ContentTypeOf(std::string_view name) {
  static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
  };
  for (const auto& [extension, type] : kTypes) {
    if (name.size() > extension.size() &&
        name.substr(name.size() - extension.size()) == extension) {
      return std::string(type);
    }
  }
  return "";
}

UiSite::UiSite(const std::vector<EmbeddedFile>& files, const Options& options)
    : csp_(
          "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
          "connect-src 'self'; base-uri 'self'; form-action 'none'; frame-ancestors " +
          options.frame_ancestors) {
  const EmbeddedFile* page = nullptr;
  for (const EmbeddedFile& f : files) {
    if (f.name == kPage) {
      page = &f;
      continue;  // served only as the page, whose <base> depends on where it is
    }
    assets_.emplace(std::string(f.name), Make(f.name, std::string(f.bytes), f.sha256));
  }
  if (page == nullptr) throw std::logic_error("the live page's assets lack index.html");
  std::string html(page->bytes);
  const std::size_t base = html.find(kPoolBase);
  if (base == std::string::npos) {
    throw std::logic_error("index.html lacks <base href=\"./\">");
  }
  pool_page_ = Make(kPage, html, page->sha256);
  html.replace(base, kPoolBase.size(), kAgentBase);
  agent_page_ = Make(kPage, html, std::string(page->sha256) + "-agent");
}

UiSite::File UiSite::Make(std::string_view name, std::string body, std::string_view sha256) const {
  File f;
  f.content_type = ContentTypeOf(name);
  if (f.content_type.empty()) f.content_type = "application/octet-stream";
  f.gzip = Gzip(body);
  if (f.gzip.size() >= body.size()) f.gzip.clear();
  f.plain = std::move(body);
  f.etag = "W/\"" + std::string(sha256) + "\"";
  return f;
}

const UiSite::File* UiSite::Find(const std::string& path) const {
  std::string_view p = path;
  if (p == kPagePrefix) return &pool_page_;
  if (StartsWith(p, kAgentsPrefix)) {
    // One segment, a possible agent id; whether the agent exists is the REST answer's to say.
    const std::string id(p.substr(kAgentsPrefix.size()));
    return IsPlausibleAgentId(id) ? &agent_page_ : nullptr;
  }
  if (StartsWith(p, kAssetsPrefix)) {
    auto it = assets_.find(p.substr(kAssetsPrefix.size()));
    return it == assets_.end() ? nullptr : &it->second;
  }
  return nullptr;
}

void UiSite::AddHeaders(HttpResponse& r) const {
  r.headers.emplace_back("Content-Security-Policy", csp_);
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
}

HttpResponse UiSite::Serve(const HttpRequest& req) const {
  const File* file = Find(req.path);
  if (file == nullptr) {
    HttpResponse r = HttpResponse::Text(404, "not found\n");
    AddHeaders(r);
    return r;
  }
  HttpResponse r;
  AddHeaders(r);
  // Behind credentials: no shared cache may keep it; small, so every use revalidates (304), and
  // a new binary's page is seen at once.
  r.headers.emplace_back("Cache-Control", "private, no-cache");
  r.headers.emplace_back("ETag", file->etag);
  if (NoneMatch(req.Header("if-none-match"), file->etag)) {
    r.status = 304;
    r.headers.emplace_back("Vary", "Accept-Encoding");
    return r;
  }
  r.content_type = file->content_type;
  SetStoredBody(r, req, file->plain, file->gzip, nullptr);  // the site outlives the server
  return r;
}

void AddUiRoutes(std::shared_ptr<const UiSite> site, Routes& routes) {
  routes["/ui"] = {Access::kPersonal, [](const HttpRequest&) {
                     // Relative, so that a proxy's path prefix is kept.
                     HttpResponse r = HttpResponse::Text(301, "see ui/\n");
                     r.headers.emplace_back("Location", "ui/");
                     return r;
                   }};
  routes["/ui/*"] = {Access::kPersonal,
                     [site = std::move(site)](const HttpRequest& req) { return site->Serve(req); }};
}

}  // namespace evonic::exporter
