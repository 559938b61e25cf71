// HttpServer enforcing each route's Access with the web config's users, answering strictly
// (methods, bodies), sending configured headers, swapping configs under load, and keeping
// /metrics answering through a flood of wrong passwords.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "exporter/web/bcrypt_hash.h"
#include "exporter/web/http_server.h"
#include "tests/web/base64.h"
#include "tests/web/web_test_client.h"

namespace evonic::exporter {
namespace {

using testing::Base64;
using testing::Get;
using testing::RawRequest;

std::shared_ptr<const WebConfig> Users(std::map<std::string, std::string> users) {
  auto c = std::make_shared<WebConfig>();
  c->file = "test.yml";
  c->basic_auth_users = std::move(users);
  c->headers = {{"X-Frame-Options", "deny"}};
  return c;
}

std::string Auth(const std::string& user, const std::string& password) {
  return "Authorization: Basic " + Base64(user + ":" + password) + "\r\n";
}

class HttpServerAuthTest : public ::testing::Test {
 protected:
  HttpServerAuthTest() : log_(logging::Level::kError, logging::Format::kLogfmt, null_) {}
  ~HttpServerAuthTest() override {
    server_.reset();
    std::fclose(null_);
  }

  void Start(std::shared_ptr<const WebConfig> config, int max_failures_per_address = 10) {
    Routes routes;
    routes["/metrics"] = {Access::kTelemetry,
                          [](const HttpRequest&) { return HttpResponse::Text(200, "metrics\n"); }};
    routes["/healthz"] = {Access::kPublic,
                          [](const HttpRequest&) { return HttpResponse::Text(200, "OK\n"); }};
    routes["/api/*"] = {Access::kPersonal,
                        [](const HttpRequest&) { return HttpResponse::Text(200, "personal\n"); }};
    HttpServer::Options options;
    options.listen_address = "127.0.0.1:0";
    options.web_config = std::move(config);
    options.auth.per_address.max_failures = max_failures_per_address;
    std::string error;
    server_ = HttpServer::Start(options, std::move(routes), log_, &error);
    ASSERT_NE(server_, nullptr) << error;
    port_ = server_->port();
  }

  std::FILE* null_ = std::fopen("/dev/null", "w");
  logging::Logger log_;
  std::unique_ptr<HttpServer> server_;
  int port_ = 0;
};

TEST_F(HttpServerAuthTest, WithoutUsersPersonalRoutesExplainHowToConfigureThem) {
  Start(nullptr);
  EXPECT_EQ(Get(port_, "/metrics").status, 200);  // telemetry is open without users
  EXPECT_EQ(Get(port_, "/healthz").status, 200);
  auto a = Get(port_, "/api/sandbox/stats");
  EXPECT_EQ(a.status, 401);
  EXPECT_NE(a.text.find("Content-Type: application/json"), std::string::npos);
  EXPECT_NE(a.text.find("WWW-Authenticate: Basic realm=\"evonic-sandbox-exporter\""),
            std::string::npos);
  EXPECT_NE(a.Body().find("\"status\":401"), std::string::npos);
  EXPECT_NE(a.Body().find("basic_auth_users"), std::string::npos);
  EXPECT_NE(a.Body().find("--web.config.file"), std::string::npos);
  // Even "valid-looking" credentials do not help when nobody is configured.
  EXPECT_EQ(Get(port_, "/api/x", Auth("alice", "right")).status, 401);
}

TEST_F(HttpServerAuthTest, WithUsersEveryNonPublicRouteNeedsThem) {
  Start(Users({{"alice", *BcryptHash("right", 4)}}));
  EXPECT_EQ(Get(port_, "/healthz").status, 200);
  EXPECT_EQ(Get(port_, "/metrics").status, 401);
  EXPECT_EQ(Get(port_, "/metrics", Auth("alice", "wrong")).status, 401);
  EXPECT_EQ(Get(port_, "/metrics", Auth("mallory", "right")).status, 401);
  EXPECT_EQ(server_->auth_stats().dummy_hash_checks, 1u);  // the unknown user paid for bcrypt
  auto ok = Get(port_, "/metrics", Auth("alice", "right"));
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.Body(), "metrics\n");
  EXPECT_NE(ok.text.find("X-Frame-Options: deny"), std::string::npos);  // configured header
  EXPECT_EQ(Get(port_, "/api/anything", Auth("alice", "right")).status, 200);
  EXPECT_EQ(Get(port_, "/api/anything").status, 401);
  EXPECT_EQ(Get(port_, "/nowhere").status, 404);
}

TEST_F(HttpServerAuthTest, StrictInput) {
  Start(nullptr);
  auto post = RawRequest(port_, "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(post.status, 405);
  EXPECT_NE(post.text.find("Allow: GET, HEAD"), std::string::npos);
  EXPECT_EQ(
      RawRequest(port_, "GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nabcd").status,
      413);
  EXPECT_EQ(RawRequest(port_,
                       "GET /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                       "4\r\nabcd\r\n0\r\n\r\n")
                .status,
            400);
  auto head = RawRequest(port_, "HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.Body(), "");
}

TEST_F(HttpServerAuthTest, ConfigSwapsWhileRequestsRun) {
  // Every client here is 127.0.0.1 and fails on purpose: no per-address throttling in this test.
  Start(Users({{"alice", *BcryptHash("a", 4)}}), 1 << 30);
  std::atomic<bool> stop{false};
  std::atomic<int> unexpected{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < 4; ++i) {
    clients.emplace_back([&] {
      while (!stop) {
        int s = Get(port_, "/metrics", Auth("alice", "a")).status;
        if (s != 200 && s != 401 && s != 429) {  // 429: bcrypt slots full
          std::fprintf(stderr, "status %d\n", s);
          ++unexpected;
        }
      }
    });
  }
  std::string error;
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(server_->ApplyWebConfig(
        Users(i % 2 == 0 ? std::map<std::string, std::string>{{"alice", *BcryptHash("a", 4)}}
                         : std::map<std::string, std::string>{{"bob", *BcryptHash("b", 4)}}),
        &error))
        << error;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  stop = true;
  for (auto& t : clients) t.join();
  EXPECT_EQ(unexpected, 0);
  // The last config has bob only: alice's earlier cached success does not count any more.
  EXPECT_EQ(Get(port_, "/metrics", Auth("alice", "a")).status, 401);
  EXPECT_EQ(Get(port_, "/metrics", Auth("bob", "b")).status, 200);
}

TEST_F(HttpServerAuthTest, WrongPasswordFloodDoesNotStarveMetrics) {
  // Cost 12: each wrong guess burns a few hundred milliseconds of CPU.
  Start(Users({{"prometheus", *BcryptHash("scrape", 12)}}));
  ASSERT_EQ(Get(port_, "/metrics", Auth("prometheus", "scrape")).status, 200);  // now cached

  std::atomic<bool> stop{false};
  std::atomic<int> refused_fast{0};
  std::vector<std::thread> flood;
  for (int i = 0; i < 16; ++i) {
    flood.emplace_back([&, i] {
      while (!stop) {
        int s = Get(port_, "/metrics", Auth(i % 2 ? "prometheus" : "nobody", "guess")).status;
        if (s == 429) ++refused_fast;
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  double slowest = 0;
  for (int i = 0; i < 20; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    int status = Get(port_, "/metrics", Auth("prometheus", "scrape")).status;
    double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    slowest = std::max(slowest, took);
    EXPECT_EQ(status, 200);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  stop = true;
  for (auto& t : flood) t.join();
  EXPECT_LT(slowest, 1.0);
  EXPECT_GT(refused_fast.load(), 0);  // the cap was hit and answered at once, not queued
  EXPECT_GT(server_->auth_stats().allowed_cached, 0u);
}

}  // namespace
}  // namespace evonic::exporter
