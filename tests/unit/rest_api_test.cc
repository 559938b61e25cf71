// The REST shim's answers from a snapshot built by hand: contract keys and types, errors, totals.
#include "exporter/render/rest_api.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>

#include "exporter/render/rest_answer_cache.h"
#include "exporter/rest_routes.h"
#include "tests/support/test_sandboxes.h"

namespace evonic::exporter {
namespace {

using nlohmann::json;

constexpr double kNow = 1800000000;  // "now" for freshness: the snapshot below ended 1 s before

model::Sandbox MakeSandbox(const std::string& agent, const std::string& session, char id_char) {
  return test::SandboxOf(agent, session)
      .Id(id_char)
      .EvonicName()
      .Image("evonic-sandbox:latest")
      .Matched()
      .Limits(1.0, 536870912.0, 256.0)
      .Usage(test::UsageOf()
                 .CpuRatio(0.15312)  // 15.312 % -> 15.31
                 // "142MiB"; the limit is the host's: not shown, HostConfig's limit is
                 .Memory(142.0 * 1048576, 25276502016.0)
                 .Network({2.1e6, 4.8e6, 0, 0, 0, 0, 0, 0})
                 .Block(8.3e6, 12.5e6)
                 .Pids(28)
                 .Build())
      .Build();
}

std::shared_ptr<Exposition> MakeExposition(bool with_db, bool docker_up = true,
                                           double collected = kNow - 1) {
  auto snap = std::make_shared<model::Snapshot>();
  snap->pool_max_containers = 10;
  snap->status.docker_up = docker_up;
  snap->status.collect_interval_seconds = 5;
  snap->status.last_collect_timestamp_seconds = collected;
  snap->sandboxes = {MakeSandbox("admin", "admin-6f07b262", 'a'),
                     MakeSandbox("admin", "admin-0badc0de", 'b'),
                     MakeSandbox("data-analyst", "data-analyst-e0d4d663", 'c')};
  snap->sandboxes[1].usage.reset();  // no usable stats this cycle
  snap->known_agents = std::make_shared<std::set<std::string>>(
      std::set<std::string>{"admin", "data-analyst", "gone-agent"});
  if (with_db) {
    auto view = std::make_shared<model::EvonicView>();
    view->db_up = true;
    view->agents["admin"] = {"admin", "Admin Assistant", true};
    view->agents["data-analyst"] = {"data-analyst", "Data Analyst", true};
    view->agents["idle"] = {"idle", "Idle Agent", true};
    view->agents["locked"] = {"locked", "Locked Agent", false};
    view->sessions["admin-6f07b262"] = {"admin-6f07b262", "admin", "user@example.com"};
    snap->evonic = view;
  }
  auto e = std::make_shared<Exposition>();
  e->snapshot = snap;
  return e;
}

json Body(const Answer& r) { return json::parse(r.body); }
json Body(const HttpResponse& r) { return json::parse(r.Body()); }

TEST(RestApi, AgentAnswerHasTheContract) {
  auto e = MakeExposition(true);
  Answer r = RestAnswer(*e, "/api/agents/admin/sandbox/stats", kNow);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "application/json");
  json b = Body(r);
  EXPECT_EQ(b["agent_id"], "admin");
  EXPECT_EQ(b["agent_name"], "Admin Assistant");
  EXPECT_EQ(b["sandbox_enabled"], true);
  EXPECT_EQ(b["active_containers"], 2);
  ASSERT_EQ(b["containers"].size(), 2u);
  const json& c = b["containers"][0];  // in the snapshot's order
  EXPECT_EQ(c["session_id"], "admin-6f07b262");
  EXPECT_EQ(c["external_user_id"], "user@example.com");
  EXPECT_EQ(c["container_id"], std::string(12, 'a'));
  EXPECT_EQ(c["container_name"], "evonic-admin-6f07b262");
  EXPECT_DOUBLE_EQ(c["cpu_percent"].get<double>(), 15.31);
  EXPECT_EQ(c["cpu_limit_cores"], 1);  // the live page's CPU bar is against it
  EXPECT_EQ(c["memory"]["used"], "142MiB");
  EXPECT_EQ(c["memory"]["limit"], "512MiB");
  // 142 / 512 = 27.734375 %
  EXPECT_EQ(c["memory"]["percent"], "27.73%");
  EXPECT_EQ(c["memory"]["used_bytes"], 142.0 * 1048576);
  EXPECT_EQ(c["memory"]["limit_bytes"], 536870912.0);
  EXPECT_EQ(c["network"]["input"], "2.1MB");
  EXPECT_EQ(c["network"]["output"], "4.8MB");
  EXPECT_EQ(c["network"]["input_bytes"], 2.1e6);
  EXPECT_EQ(c["block_io"]["read"], "8.3MB");
  EXPECT_EQ(c["block_io"]["write"], "12.5MB");
  EXPECT_EQ(c["pids"], "28");
  EXPECT_TRUE(b["collected_at"].is_string());
  EXPECT_EQ(c["measured"], true);
  // A sandbox without a sample (its first moments, or unusable stats): the contract's types with
  // the figures docker stats shows for it (0), and measured false. A UI doing
  // cpu_percent.toFixed(1) must not throw.
  const json& bad = b["containers"][1];
  EXPECT_EQ(bad["session_id"], "admin-0badc0de");
  EXPECT_EQ(bad["external_user_id"], "");
  EXPECT_EQ(bad["measured"], false);
  EXPECT_EQ(bad["cpu_percent"], 0);
  EXPECT_EQ(bad["memory"]["used"], "0B");
  EXPECT_EQ(bad["memory"]["used_bytes"], 0);
  EXPECT_EQ(bad["memory"]["limit"], "512MiB");  // the limit is known without stats
  EXPECT_EQ(bad["memory"]["percent"], "0.00%");
  EXPECT_EQ(bad["network"]["input"], "0B");
  EXPECT_EQ(bad["block_io"]["write"], "0B");
  EXPECT_EQ(bad["pids"], "0");
  EXPECT_EQ(bad["pids_current"], 0);
  EXPECT_EQ(bad["cpu_limit_cores"], 1);  // a limit is known without stats
}

// Every figure of every entry has the contract's type, measured or not; only limits may be null
// (unlimited).
TEST(RestApi, NoNullWhereTheContractHasANumber) {
  auto e = MakeExposition(true);
  auto snap = std::make_shared<model::Snapshot>(*e->snapshot);
  model::Sandbox partial = snap->sandboxes[0];
  partial.container_id = std::string(64, 'c');
  partial.session_id = "admin-partial";
  partial.usage->cpu_utilization_ratio.reset();  // a first one-shot answer: no CPU % yet
  partial.usage->network.reset();
  partial.usage->pids.reset();
  snap->sandboxes.push_back(partial);
  e->snapshot = snap;
  for (const char* path : {"/api/agents/admin/sandbox/stats", "/api/sandbox/stats"}) {
    json b = Body(RestAnswer(*e, path, kNow));
    const json* p = nullptr;
    for (const json& c : b["containers"]) {
      if (c["session_id"] == "admin-partial") p = &c;
      EXPECT_TRUE(c["cpu_percent"].is_number()) << path << c.dump();
      EXPECT_TRUE(c["measured"].is_boolean()) << path << c.dump();
      EXPECT_TRUE(c["pids"].is_string()) << c.dump();
      EXPECT_TRUE(c["pids_current"].is_number()) << c.dump();
      for (const char* group : {"memory", "network", "block_io"}) {
        for (const auto& [key, value] : c[group].items()) {
          const bool number = key.find("_bytes") != std::string::npos || key == "percent_value";
          EXPECT_TRUE(number ? value.is_number() : value.is_string())
              << path << " " << group << "." << key << ": " << c.dump();
          if (!number) {
            EXPECT_NE(value, "--") << group << "." << key;
          }
        }
      }
    }
    ASSERT_NE(p, nullptr) << path;
    EXPECT_EQ((*p)["measured"], false) << "a figure is a stand-in";
    EXPECT_EQ((*p)["memory"]["used"], "142MiB") << "what was measured is still shown";
  }
}

TEST(RestApi, ContainersCarryTheirSessionsToolRunsAndOomKills) {
  auto e = MakeExposition(true);
  auto snap = std::make_shared<model::Snapshot>(*e->snapshot);
  auto events = std::make_shared<model::EventsView>();
  model::SessionEventCounters& c = events->sessions[std::string(64, 'a')];
  c.oom_kills = 1;
  c.tools[0].runs = 4;
  c.tools[0].failures = 1;
  c.tools[0].seconds = 0.1234;
  c.tools[1].runs = 1;
  snap->events = events;
  e->snapshot = snap;
  for (const char* path : {"/api/agents/admin/sandbox/stats", "/api/sandbox/stats"}) {
    json b = Body(RestAnswer(*e, path, kNow));
    const json& counted = b["containers"][0];
    EXPECT_EQ(counted["oom_kills"], 1) << path;
    EXPECT_EQ(counted["tools"]["bash"], json({{"runs", 4}, {"failures", 1}, {"seconds", 0.123}}))
        << path;
    EXPECT_EQ(counted["tools"]["python"]["runs"], 1) << path;
    EXPECT_EQ(counted["tools"]["other"]["runs"], 0) << path;
    // A sandbox the events know nothing of (yet): zeros, never missing keys.
    const json& other = b["containers"][1];
    EXPECT_EQ(other["oom_kills"], 0) << path;
    EXPECT_EQ(other["tools"]["python"], json({{"runs", 0}, {"failures", 0}, {"seconds", 0}}))
        << path;
  }
}

TEST(RestApi, PoolAnswerTotals) {
  auto e = MakeExposition(true);
  json b = Body(RestAnswer(*e, "/api/sandbox/stats", kNow));
  EXPECT_EQ(b["pool_size"], 3);
  EXPECT_EQ(b["max_containers"], 10);
  ASSERT_EQ(b["containers"].size(), 3u);
  EXPECT_EQ(b["containers"][2]["agent_id"], "data-analyst");
  // Pool entries carry the same objects as per-agent entries.
  EXPECT_EQ(b["containers"][2]["memory"]["used"], "142MiB");
  // Two sandboxes with usage: 2 x 15.312 % = 30.624 -> 30.62; memory 2 x 142 MiB = 284 MiB.
  EXPECT_DOUBLE_EQ(b["aggregate"]["total_cpu_percent"].get<double>(), 30.62);
  EXPECT_EQ(b["aggregate"]["active_containers"], 3);
  EXPECT_EQ(b["aggregate"]["memory_used"], "284MiB");
  EXPECT_EQ(b["aggregate"]["network_input_bytes"], 4.2e6);
  EXPECT_EQ(b["aggregate"]["pids"], 56);
}

TEST(RestApi, PoolPidsBeyondLongLong) {
  // tests/fuzz/regressions/fuzz_cycle: each sandbox's pids may be up to the parser's 2^62 bound;
  // the pool's sum was cast to long long (undefined behaviour; -9223372036854775808 was seen).
  auto e = MakeExposition(true);
  auto snap = std::make_shared<model::Snapshot>(*e->snapshot);
  for (model::Sandbox& s : snap->sandboxes) {
    if (s.usage) s.usage->pids = 4611686018427387904.0;  // 2^62
  }
  e->snapshot = snap;
  json b = Body(RestAnswer(*e, "/api/sandbox/stats", kNow));
  EXPECT_DOUBLE_EQ(b["aggregate"]["pids"].get<double>(), 9223372036854775808.0);  // 2^63
  EXPECT_EQ(b["containers"][0]["pids_current"].get<double>(), 4611686018427387904.0);
}

std::vector<std::string> Keys(const nlohmann::ordered_json& object) {
  std::vector<std::string> keys;
  for (const auto& [key, value] : object.items()) keys.push_back(key);
  return keys;
}

TEST(RestApi, AnswersAreOneCompactDocumentInContractOrder) {
  // The containers are written one at a time into the document: still one valid, compact JSON
  // document, keys in the contract's order, for none, one and several containers.
  auto e = MakeExposition(true);
  for (const char* path :
       {"/api/sandbox/stats", "/api/agents/admin/sandbox/stats",
        "/api/agents/data-analyst/sandbox/stats", "/api/agents/idle/sandbox/stats"}) {
    SCOPED_TRACE(path);
    Answer r = RestAnswer(*e, path, kNow);
    ASSERT_EQ(r.status, 200);
    std::string body(r.body);
    ASSERT_EQ(body.back(), '\n');
    auto doc = nlohmann::ordered_json::parse(body);
    EXPECT_EQ(doc.dump() + "\n", body);  // compact, nothing lost or reordered
  }
  auto pool = nlohmann::ordered_json::parse(RestAnswer(*e, "/api/sandbox/stats", kNow).body);
  EXPECT_EQ(Keys(pool), (std::vector<std::string>{"pool_size", "max_containers", "containers",
                                                  "aggregate", "collected_at"}));
  auto agent =
      nlohmann::ordered_json::parse(RestAnswer(*e, "/api/agents/admin/sandbox/stats", kNow).body);
  EXPECT_EQ(Keys(agent),
            (std::vector<std::string>{"agent_id", "agent_name", "sandbox_enabled",
                                      "active_containers", "containers", "collected_at"}));
  EXPECT_EQ(agent["containers"].size(), 2u);
}

TEST(RestApi, AgentErrorsWithADatabase) {
  auto e = MakeExposition(true);
  Answer unknown = RestAnswer(*e, "/api/agents/nobody/sandbox/stats", kNow);
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(Body(unknown)["status"], 404);
  EXPECT_TRUE(Body(unknown)["error"].is_string());
  Answer locked = RestAnswer(*e, "/api/agents/locked/sandbox/stats", kNow);
  EXPECT_EQ(locked.status, 400);
  EXPECT_NE(Body(locked)["error"].get<std::string>().find("disabled"), std::string::npos);
  json idle = Body(RestAnswer(*e, "/api/agents/idle/sandbox/stats", kNow));
  EXPECT_EQ(idle["active_containers"], 0);
  EXPECT_EQ(idle["containers"], json::array());
  EXPECT_EQ(idle["agent_name"], "Idle Agent");
}

TEST(RestApi, WithoutADatabaseAgentsAreThoseSeenWithASandbox) {
  auto e = MakeExposition(false);
  EXPECT_EQ(RestAnswer(*e, "/api/agents/nobody/sandbox/stats", kNow).status, 404);
  json gone = Body(RestAnswer(*e, "/api/agents/gone-agent/sandbox/stats", kNow));
  EXPECT_EQ(gone["active_containers"], 0);
  json admin = Body(RestAnswer(*e, "/api/agents/admin/sandbox/stats", kNow));
  EXPECT_EQ(admin["active_containers"], 2);
  EXPECT_EQ(admin["containers"][0]["external_user_id"], "");
}

TEST(RestApi, HostileAgentIdsAre400) {
  auto e = MakeExposition(true);
  const std::vector<std::string> hostile = {
      "a/b", "a%2Fb", "..", "a..b", std::string("a\x01"), "a\\b", std::string(129, 'x')};
  for (const std::string& id : hostile) {
    SCOPED_TRACE(id);
    Answer r = RestAnswer(*e, "/api/agents/" + id + "/sandbox/stats", kNow);
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(Body(r)["status"], 400);
  }
  EXPECT_TRUE(IsPlausibleAgentId(std::string(128, 'x')));
  EXPECT_TRUE(IsPlausibleAgentId("data-analyst"));
  // The message names the backslash once, as decoded JSON shows it (issue J.8: it said '\\').
  Answer r = RestAnswer(*e, "/api/agents/a\\b/sandbox/stats", kNow);
  const std::string message = Body(r)["error"];
  EXPECT_NE(message.find("'..', '\\' or control"), std::string::npos) << message;
}

TEST(RestApi, UnknownApiPathsAre404InJson) {
  auto e = MakeExposition(true);
  for (const char* path : {"/api/", "/api/agents/admin", "/api/agents//sandbox/stats",
                           "/api/sandbox/stats/extra", "/api/agents/admin/sandbox/statsx"}) {
    SCOPED_TRACE(path);
    Answer r = RestAnswer(*e, path, kNow);
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(Body(r)["status"], 404);
  }
}

TEST(RestApi, ErrorsAreTheOneJsonErrorBody) {
  // The REST errors and the web server's 401/429 refusals share these bytes.
  EXPECT_EQ(JsonErrorBody(401, "authentication required"),
            "{\"error\":\"authentication required\",\"status\":401}\n");
  // Invalid UTF-8 (an agent id is echoed) becomes U+FFFD instead of failing.
  EXPECT_EQ(JsonErrorBody(404, "agent '\xff' \"x\""),
            "{\"error\":\"agent '\xef\xbf\xbd' \\\"x\\\"\",\"status\":404}\n");
  auto e = MakeExposition(true);
  Answer r = RestAnswer(*e, "/api/agents/nobody/sandbox/stats", kNow);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.headers,
            (std::vector<std::pair<std::string, std::string>>{{"Cache-Control", "no-store"}}));
  EXPECT_EQ(r.body, JsonErrorBody(404, "agent 'nobody' does not exist"));
}

TEST(RestApi, UnreachableEngineOrStaleSnapshotIs503) {
  auto down = MakeExposition(true, /*docker_up=*/false);
  EXPECT_EQ(RestAnswer(*down, "/api/sandbox/stats", kNow).status, 503);
  EXPECT_EQ(Body(RestAnswer(*down, "/api/sandbox/stats", kNow))["status"], 503);
  // Interval 5 s: older than 3 intervals is stale.
  auto stale = MakeExposition(true, true, kNow - 16);
  EXPECT_EQ(RestAnswer(*stale, "/api/agents/admin/sandbox/stats", kNow).status, 503);
  auto fresh = MakeExposition(true, true, kNow - 14);
  EXPECT_EQ(RestAnswer(*fresh, "/api/agents/admin/sandbox/stats", kNow).status, 200);
}

std::string Gunzip(std::string_view data) {
  z_stream zs{};
  EXPECT_EQ(inflateInit2(&zs, 15 + 16), Z_OK);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char buf[16384];
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buf, sizeof buf - zs.avail_out);
  }
  inflateEnd(&zs);
  EXPECT_EQ(rc, Z_STREAM_END);
  return out;
}

// What the route serves for `path` (credentials are the server's business, not the handler's).
HttpResponse Serve(const Routes& routes, const std::string& path) {
  HttpRequest req;
  req.method = "GET";
  req.path = path;
  return routes.at("/api/*").handler(req);
}

std::shared_ptr<Exposition> Published(std::uint64_t generation, double max_containers,
                                      bool docker_up = true) {
  auto e = MakeExposition(true, docker_up, kNow - 1);
  auto snap = std::make_shared<model::Snapshot>(*e->snapshot);
  snap->generation = generation;
  snap->pool_max_containers = max_containers;
  e->snapshot = snap;
  return e;
}

TEST(RestRoute, AnswersFollowEveryNewSnapshot) {
  model::Latest<Exposition> latest(Published(1, 10));
  model::ManualClock clock(kNow);
  Routes routes;
  AddRestRoutes(latest, clock, nullptr, routes);
  for (const char* path : {"/api/sandbox/stats", "/api/agents/admin/sandbox/stats"}) {
    SCOPED_TRACE(path);
    HttpResponse first = Serve(routes, path);
    ASSERT_EQ(first.status, 200);
    EXPECT_EQ(first.content_type, "application/json");
    // Served again from the same snapshot: the same bytes.
    EXPECT_EQ(Serve(routes, path).Body(), first.Body());
  }
  EXPECT_EQ(Body(Serve(routes, "/api/sandbox/stats"))["max_containers"], 10);
  latest.Publish(Published(2, 20));
  EXPECT_EQ(Body(Serve(routes, "/api/sandbox/stats"))["max_containers"], 20);
  // Gzip when asked, the same JSON inside.
  HttpRequest gz;
  gz.method = "GET";
  gz.path = "/api/sandbox/stats";
  gz.headers["accept-encoding"] = "gzip, deflate";
  HttpResponse zipped = routes.at("/api/*").handler(gz);
  ASSERT_EQ(zipped.status, 200);
  EXPECT_NE(std::find(zipped.headers.begin(), zipped.headers.end(),
                      std::make_pair(std::string("Content-Encoding"), std::string("gzip"))),
            zipped.headers.end());
  EXPECT_EQ(Gunzip(zipped.Body()), Serve(routes, "/api/sandbox/stats").Body());
  // Unknown agents are not remembered: an error is answered afresh every time.
  EXPECT_EQ(Serve(routes, "/api/agents/nobody/sandbox/stats").status, 404);
}

TEST(RestRoute, AStoredAnswerIsNeverServedWhenTheSnapshotIsNotFresh) {
  model::Latest<Exposition> latest(Published(7, 10));
  model::ManualClock clock(kNow);
  Routes routes;
  AddRestRoutes(latest, clock, nullptr, routes);
  ASSERT_EQ(Serve(routes, "/api/sandbox/stats").status, 200);
  // The same snapshot once more than 3 intervals (5 s each) have passed: 503, not the stored 200.
  clock.Advance(16);
  EXPECT_EQ(Serve(routes, "/api/sandbox/stats").status, 503);
  clock.Set(kNow);
  ASSERT_EQ(Serve(routes, "/api/sandbox/stats").status, 200);
  // Same generation, engine now down (as time passing makes a snapshot stale): 503, not the
  // stored 200.
  latest.Publish(Published(7, 10, /*docker_up=*/false));
  EXPECT_EQ(Serve(routes, "/api/sandbox/stats").status, 503);
}

TEST(RestAnswerCache, KeepsOnlyTheNewestGeneration) {
  RestAnswerCache cache;
  auto answer = [](int status) {
    auto r = std::make_shared<StoredAnswer>();
    r->plain.status = status;
    return std::shared_ptr<const StoredAnswer>(r);
  };
  EXPECT_EQ(cache.Find(1, "/p"), nullptr);
  cache.Store(2, "/p", answer(201));
  ASSERT_NE(cache.Find(2, "/p"), nullptr);
  EXPECT_EQ(cache.Find(2, "/p")->plain.status, 201);
  EXPECT_EQ(cache.Find(2, "/q"), nullptr);
  // A request still holding an older snapshot neither finds nor evicts anything.
  cache.Store(1, "/p", answer(101));
  EXPECT_EQ(cache.Find(1, "/p"), nullptr);
  EXPECT_EQ(cache.Find(2, "/p")->plain.status, 201);
  // A newer generation drops the older answers.
  cache.Store(3, "/q", answer(301));
  EXPECT_EQ(cache.Find(2, "/p"), nullptr);
  EXPECT_EQ(cache.Find(3, "/p"), nullptr);
  EXPECT_EQ(cache.Find(3, "/q")->plain.status, 301);
}

TEST(RestAnswerCache, RendersOncePerGenerationAndNeverStoresErrors) {
  RestAnswerCache cache;
  int renders = 0;
  auto render = [&renders](int status) {
    return [&renders, status] {
      ++renders;
      auto r = std::make_shared<StoredAnswer>();
      r->plain.status = status;
      return std::shared_ptr<const StoredAnswer>(r);
    };
  };
  EXPECT_EQ(cache.FindOrRender(1, "/ok", render(200))->plain.status, 200);
  EXPECT_EQ(cache.FindOrRender(1, "/ok", render(200))->plain.status, 200);
  EXPECT_EQ(renders, 1);
  EXPECT_EQ(cache.FindOrRender(1, "/missing", render(404))->plain.status, 404);
  EXPECT_EQ(cache.FindOrRender(1, "/missing", render(404))->plain.status, 404);
  EXPECT_EQ(renders, 3);
  EXPECT_EQ(cache.FindOrRender(2, "/ok", render(200))->plain.status, 200);
  EXPECT_EQ(renders, 4);
}

}  // namespace
}  // namespace evonic::exporter
