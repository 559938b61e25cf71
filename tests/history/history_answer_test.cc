// History answers: every point has the keys and formats of a live container (the REST contract)
// plus its time; 400, 404 and the cursor as documented.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "exporter/history/history_writer.h"
#include "exporter/render/rest_api.h"
#include "tests/support/test_sandboxes.h"

namespace evonic::exporter {
namespace {

using nlohmann::json;
constexpr double kNow = 1795737600;

std::shared_ptr<Exposition> Live() {
  auto snap = std::make_shared<model::Snapshot>();
  snap->generation = 7;
  snap->pool_max_containers = 10;
  snap->status.docker_up = true;
  snap->status.collect_interval_seconds = 5;
  snap->status.last_collect_timestamp_seconds = kNow - 1;
  model::NetworkCounters net;
  net.receive_bytes = 1234;
  net.transmit_bytes = 5678;
  snap->sandboxes = {
      test::SandboxOf("admin", "admin-6f07b262")
          .Id('a')
          .EvonicName()
          .Limits(1, 536870912, 256)
          .Usage(test::UsageOf()
                     .CpuRatio(0.1234567)
                     .Memory(52428800, 536870912)
                     .Network(net)
                     .Block(4096, 1e6)
                     .Pids(7)
                     .Build())
          .Build(),
      test::SandboxOf("data-analyst", "data-analyst-e0d4d663").Id('c').EvonicName().Build()};
  auto events = std::make_shared<model::EventsView>();
  events->sessions[std::string(64, 'a')].tools[1].runs = 3;
  events->sessions[std::string(64, 'a')].tools[1].failures = 1;
  events->sessions[std::string(64, 'a')].tools[1].seconds = 1.23456;
  events->sessions[std::string(64, 'a')].oom_kills = 2;
  snap->events = events;
  snap->known_agents =
      std::make_shared<std::set<std::string>>(std::set<std::string>{"admin", "data-analyst"});
  auto e = std::make_shared<Exposition>();
  e->snapshot = snap;
  return e;
}

// A history over a vector, paged as the store pages.
struct VectorHistory {
  std::vector<model::HistoryPoint> points;
  HistorySource Source() {
    return {[this](const model::HistoryQuery& q, model::HistoryPage* page, std::string*) {
              page->points.clear();
              page->more = false;
              for (const auto& p : points) {
                if (p.id <= q.after_id || p.time_seconds < q.since) continue;
                if (q.until && p.time_seconds > *q.until) continue;
                if (!q.agent_id.empty() && p.agent_id != q.agent_id) continue;
                if (!q.session_id.empty() && p.session_id != q.session_id) continue;
                if (page->points.size() == q.limit) {
                  page->more = true;
                  break;
                }
                page->points.push_back(p);
              }
              return true;
            },
            [this](const std::string& agent) {
              for (const auto& p : points) {
                if (p.agent_id == agent) return true;
              }
              return false;
            }};
  }
};

TEST(HistoryAnswer, EachPointIsTheLiveContainerPlusItsTime) {
  auto live = Live();
  VectorHistory history;
  history.points = HistoryPointsOf(*live->snapshot, kNow);
  for (std::size_t i = 0; i < history.points.size(); ++i) history.points[i].id = i + 1;
  const HistorySource source = history.Source();
  json pool = json::parse(RestAnswer(*live, "/api/sandbox/stats", kNow).body);
  Answer a = HistoryAnswer(*live, "/api/sandbox/stats/history", "since=0", &source);
  ASSERT_EQ(a.status, 200) << a.body;
  json h = json::parse(a.body);
  EXPECT_EQ(h["count"], 2);
  EXPECT_FALSE(h.contains("next"));
  ASSERT_EQ(h["points"].size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    json point = h["points"][i];
    EXPECT_EQ(point["time"], "2026-11-27T00:00:00.000Z");
    EXPECT_EQ(point["timestamp"], kNow);
    point.erase("time");
    point.erase("timestamp");
    json container = pool["containers"][i];
    container.erase("external_user_id");  // personal data is not kept
    container.erase("cpu_limit_cores");   // nor the CPU limit
    EXPECT_EQ(point, container) << "point " << i;
  }
  EXPECT_EQ(h["points"][0]["cpu_percent"], 12.35);
  EXPECT_EQ(h["points"][0]["tools"]["python"]["runs"], 3);
  // No stats: docker stats' zeros, said so by measured.
  EXPECT_EQ(h["points"][1]["memory"]["used"], "0B");
  EXPECT_EQ(h["points"][1]["measured"], false);
}

TEST(HistoryAnswer, PagesAndFilters) {
  auto live = Live();
  VectorHistory history;
  for (int t = 0; t < 5; ++t) {
    for (auto p : HistoryPointsOf(*live->snapshot, kNow + t)) {
      p.id = static_cast<std::int64_t>(history.points.size()) + 1;
      history.points.push_back(p);
    }
  }
  const HistorySource source = history.Source();
  json first = json::parse(
      HistoryAnswer(*live, "/api/agents/admin/sandbox/stats/history", "since=0&limit=2", &source)
          .body);
  EXPECT_EQ(first["agent_id"], "admin");
  ASSERT_EQ(first["points"].size(), 2u);
  for (const auto& p : first["points"]) EXPECT_EQ(p["agent_id"], "admin");
  ASSERT_TRUE(first.contains("next"));
  json rest =
      json::parse(HistoryAnswer(*live, "/api/agents/admin/sandbox/stats/history",
                                "since=0&cursor=" + first["next"].get<std::string>(), &source)
                      .body);
  EXPECT_EQ(rest["count"], 3);
  EXPECT_FALSE(rest.contains("next"));
  json future = json::parse(
      HistoryAnswer(*live, "/api/sandbox/stats/history", "since=2030-01-01T00:00:00Z", &source)
          .body);
  EXPECT_EQ(future["count"], 0);
  EXPECT_EQ(future["points"], json::array());
}

TEST(HistoryAnswer, RefusalsAsTheLiveEndpoints) {
  auto live = Live();
  VectorHistory history;
  model::HistoryPoint gone;
  gone.id = 1;
  gone.agent_id = "retired-agent";
  history.points.push_back(gone);
  const HistorySource source = history.Source();
  auto status = [&](const std::string& path, const std::string& query, const HistorySource* s) {
    return HistoryAnswer(*live, path, query, s).status;
  };
  EXPECT_EQ(status("/api/sandbox/stats/history", "", &source), 400);  // since is required
  EXPECT_EQ(status("/api/sandbox/stats/history", "since=yesterday", &source), 400);
  EXPECT_EQ(status("/api/agents/nobody/sandbox/stats/history", "since=0", &source), 404);
  // Known only to the history (its sandboxes are gone): still answered.
  EXPECT_EQ(status("/api/agents/retired-agent/sandbox/stats/history", "since=0", &source), 200);
  EXPECT_EQ(status("/api/agents/a..b/sandbox/stats/history", "since=0", &source), 400);
  EXPECT_EQ(status("/api/agents/admin/sandbox/stats/history", "since=0&agent_id=other", &source),
            400);
  Answer off = HistoryAnswer(*live, "/api/sandbox/stats/history", "since=0", nullptr);
  EXPECT_EQ(off.status, 404);
  EXPECT_NE(off.body.find("--history.path"), std::string::npos);
  json error = json::parse(HistoryAnswer(*live, "/api/sandbox/stats/history", "", &source).body);
  EXPECT_EQ(error["status"], 400);
  EXPECT_NE(error["error"].get<std::string>().find("since is required"), std::string::npos);
}

TEST(HistoryAnswer, OnlyTheTwoHistoryPathsAreHistory) {
  EXPECT_TRUE(IsHistoryPath("/api/sandbox/stats/history"));
  EXPECT_TRUE(IsHistoryPath("/api/agents/admin/sandbox/stats/history"));
  EXPECT_FALSE(IsHistoryPath("/api/sandbox/stats"));
  EXPECT_FALSE(IsHistoryPath("/api/other/sandbox/stats/history"));
  EXPECT_FALSE(IsHistoryPath("/api/agents/admin/sandbox/stats/history/x"));
}

}  // namespace
}  // namespace evonic::exporter
