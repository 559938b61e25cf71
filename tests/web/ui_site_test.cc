// UiSite: the compiled-in page and files, their types, the page's <base> at each depth, the
// strict policy on every answer, ETag revalidation, gzip, and 404 for anything else.

#include "exporter/ui/ui_site.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace evonic::exporter {
namespace {

HttpRequest Request(const std::string& path, std::map<std::string, std::string> headers = {}) {
  HttpRequest r;
  r.method = "GET";
  r.path = path;
  r.headers = std::move(headers);
  return r;
}

std::string Header(const HttpResponse& r, const std::string& name) {
  for (const auto& [key, value] : r.headers) {
    if (key == name) return value;
  }
  return "";
}

UiSite Site(const std::string& frame_ancestors = "'none'") {
  UiSite::Options options;
  options.frame_ancestors = frame_ancestors;
  return UiSite(UiAssetFiles(), options);
}

TEST(UiSite, EveryCompiledInFileHasAKnownType) {
  const auto files = UiAssetFiles();
  ASSERT_GE(files.size(), 3u);  // index.html, ui.css, ui.js
  for (const EmbeddedFile& f : files) {
    SCOPED_TRACE(std::string(f.name));
    EXPECT_NE(UiSite::ContentTypeOf(f.name), "");
    EXPECT_FALSE(f.bytes.empty());
    EXPECT_EQ(f.sha256.size(), 16u);
  }
}

TEST(UiSite, ThePageAtBothDepthsAndItsFiles) {
  const UiSite site = Site();
  HttpResponse pool = site.Serve(Request("/ui/"));
  EXPECT_EQ(pool.status, 200);
  EXPECT_EQ(pool.content_type, "text/html; charset=utf-8");
  EXPECT_NE(pool.Body().find("<base href=\"./\">"), std::string::npos);
  HttpResponse agent = site.Serve(Request("/ui/agents/data-analyst"));
  EXPECT_EQ(agent.status, 200);
  EXPECT_NE(agent.Body().find("<base href=\"../\">"), std::string::npos);
  EXPECT_NE(Header(pool, "ETag"), Header(agent, "ETag"));
  EXPECT_EQ(site.Serve(Request("/ui/assets/ui.js")).content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(site.Serve(Request("/ui/assets/ui.css")).content_type, "text/css; charset=utf-8");
}

TEST(UiSite, AnythingElseIs404WithThePolicy) {
  const UiSite site = Site();
  for (const char* path : {"/ui/assets/nope.js", "/ui/assets/index.html", "/ui/index.html",
                           "/ui/agents/", "/ui/agents/a/b", "/ui/agents/..", "/ui/x", "/ui"}) {
    SCOPED_TRACE(path);
    HttpResponse r = site.Serve(Request(path));
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(Header(r, "Content-Security-Policy"), site.content_security_policy());
  }
}

TEST(UiSite, StrictPolicyWithTheConfiguredFrameAncestors) {
  EXPECT_EQ(Site().content_security_policy(),
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "connect-src 'self'; base-uri 'self'; form-action 'none'; frame-ancestors 'none'");
  const UiSite site = Site("'self' https://evonic.example.com");
  HttpResponse r = site.Serve(Request("/ui/"));
  const std::string csp = Header(r, "Content-Security-Policy");
  EXPECT_NE(csp.find("; frame-ancestors 'self' https://evonic.example.com"), std::string::npos);
  EXPECT_EQ(Header(r, "Cache-Control"), "private, no-cache");
}

TEST(UiSite, RevalidatesWithItsETagAndGzips) {
  const UiSite site = Site();
  HttpResponse first = site.Serve(Request("/ui/assets/ui.js"));
  const std::string etag = Header(first, "ETag");
  ASSERT_EQ(etag.rfind("W/\"", 0), 0u);
  for (const std::string& tag : {etag, etag.substr(2), "\"other\", " + etag, std::string("*")}) {
    SCOPED_TRACE(tag);
    HttpResponse again = site.Serve(Request("/ui/assets/ui.js", {{"if-none-match", tag}}));
    EXPECT_EQ(again.status, 304);
    EXPECT_TRUE(again.Body().empty());
    EXPECT_EQ(Header(again, "ETag"), etag);
  }
  EXPECT_EQ(site.Serve(Request("/ui/assets/ui.js", {{"if-none-match", "W/\"other\""}})).status,
            200);
  HttpResponse zipped = site.Serve(Request("/ui/assets/ui.js", {{"accept-encoding", "gzip"}}));
  EXPECT_EQ(Header(zipped, "Content-Encoding"), "gzip");
  EXPECT_LT(zipped.Body().size(), first.Body().size());
}

TEST(UiSite, APageWithoutItsBaseIsABuildDefect) {
  const std::vector<EmbeddedFile> files = {{"index.html", "<html></html>", "0123456789abcdef"}};
  EXPECT_THROW(UiSite(files, UiSite::Options{}), std::logic_error);
  EXPECT_THROW(UiSite({}, UiSite::Options{}), std::logic_error);
}

TEST(UiRoutes, BothRoutesNeedCredentialsAsTheRestRoutes) {
  Routes routes;
  AddUiRoutes(std::make_shared<const UiSite>(Site()), routes);
  ASSERT_EQ(routes.count("/ui"), 1u);
  ASSERT_EQ(routes.count("/ui/*"), 1u);
  EXPECT_EQ(routes["/ui"].access, Access::kPersonal);
  EXPECT_EQ(routes["/ui/*"].access, Access::kPersonal);
  HttpResponse redirect = routes["/ui"].handler(Request("/ui"));
  EXPECT_EQ(redirect.status, 301);
  EXPECT_EQ(Header(redirect, "Location"), "ui/");
}

}  // namespace
}  // namespace evonic::exporter
