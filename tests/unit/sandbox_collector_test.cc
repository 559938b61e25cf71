// MakeLabelSetsUnique, and SandboxCollector::Collect against a minimal in-process HTTP server that
// replays the answers recorded from Docker 20.10.

#include "collectors/pipeline/sandbox_collector.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "collectors/docker/curl_handles.h"
#include "tests/unit/test_util.h"

namespace evonic::collectors {
namespace {

using test::Fixture;

model::Sandbox Box(std::string agent, std::string session, std::string id) {
  model::Sandbox s;
  s.agent_id = std::move(agent);
  s.session_id = std::move(session);
  s.container_id = std::move(id);
  return s;
}

TEST(MakeLabelSetsUnique, DuplicatesGetTheirShortIdAndOutputIsSorted) {
  const std::string id1 = "2c7c125b0113a87e0bfdb0b85d5987e522df9d7ab3bb6bdf7d62ae418592eac4";
  const std::string id2 = "738a1598226385dfe2089031bcbf0b7d132592ad6b6de6565011f739c0d9a6af";
  const std::string id3 = "890cbff6a020a6a20b5351c152fea3e2f28f025dea337b7fd86d9f0861c896ec";
  const std::string id4 = "58a261e59700f53aba5560db9ba4700c5aa273a7d53a88fbe554328f67a4bb92";
  std::vector<model::Sandbox> v = {
      Box("ops", "ops-12345678", id3), Box("admin", "admin-6f07b262", id4),
      Box("ops", "ops-12345678", id1), Box("ops", "ops-12345678", id2)};
  MakeLabelSetsUnique(v);
  ASSERT_EQ(v.size(), 4u);
  // Sorted by (agent, session, container id); the first by container id keeps the plain label
  // set, the later ones get "@" + the 12-character id.
  EXPECT_EQ(v[0].agent_id, "admin");
  EXPECT_EQ(v[0].session_id, "admin-6f07b262");
  EXPECT_EQ(v[1].container_id, id1);
  EXPECT_EQ(v[1].session_id, "ops-12345678");
  EXPECT_EQ(v[2].container_id, id2);
  EXPECT_EQ(v[2].session_id, "ops-12345678@738a15982263");
  EXPECT_EQ(v[3].container_id, id3);
  EXPECT_EQ(v[3].session_id, "ops-12345678@890cbff6a020");
  std::set<std::pair<std::string, std::string>> pairs;
  for (const auto& s : v) EXPECT_TRUE(pairs.emplace(s.agent_id, s.session_id).second);
  for (std::size_t i = 1; i < v.size(); ++i) {
    EXPECT_FALSE(std::tie(v[i].agent_id, v[i].session_id) <
                 std::tie(v[i - 1].agent_id, v[i - 1].session_id));
  }
}

TEST(MakeLabelSetsUnique, SameSessionDifferentAgentsAreNotDuplicates) {
  std::vector<model::Sandbox> v = {Box("b", "s", "2222"), Box("a", "s", "1111")};
  MakeLabelSetsUnique(v);
  EXPECT_EQ(v[0].agent_id, "a");
  EXPECT_EQ(v[0].session_id, "s");
  EXPECT_EQ(v[1].session_id, "s");
}

TEST(MakeLabelSetsUnique, SuffixedNameCollidingWithARealSession) {
  // A real session already called "s@bbbbbbbbbbbb" must not end up sharing a label set.
  std::vector<model::Sandbox> v = {Box("a", "s", "aaaaaaaaaaaaaaaa"),
                                   Box("a", "s", "bbbbbbbbbbbbbbbb"),
                                   Box("a", "s@bbbbbbbbbbbb", "cccccccccccccccc")};
  MakeLabelSetsUnique(v);
  std::set<std::pair<std::string, std::string>> pairs;
  for (const auto& s : v)
    EXPECT_TRUE(pairs.emplace(s.agent_id, s.session_id).second) << s.session_id;
}

TEST(MakeLabelSetsUnique, Empty) {
  std::vector<model::Sandbox> v;
  MakeLabelSetsUnique(v);
  EXPECT_TRUE(v.empty());
}

// ---------------------------------------------------------------------------------------------
// A one-thread HTTP/1.1 server on 127.0.0.1:<free port> that answers GETs from a table keyed by
// path (without the query) and closes each connection after the answer.

class FakeEngine {
 public:
  FakeEngine() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(fd_, 64) != 0) {
      ADD_FAILURE() << "cannot listen";
      return;
    }
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Loop(); });
  }
  ~FakeEngine() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    ::close(fd_);
  }
  void Set(const std::string& path, std::string body, int status = 200) {
    std::lock_guard<std::mutex> lock(mu_);
    routes_[path] = {status, std::move(body)};
  }
  std::vector<std::string> Requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  int port() const { return port_; }

 private:
  void Loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      Serve(c);
      ::close(c);
    }
  }
  void Serve(int c) {
    std::string request;
    char buf[4096];
    while (request.find("\r\n\r\n") == std::string::npos) {
      pollfd p{c, POLLIN, 0};
      if (::poll(&p, 1, 2000) <= 0) return;
      ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) return;
      request.append(buf, static_cast<std::size_t>(n));
    }
    // "GET /v1.41/containers/json?filters=... HTTP/1.1"
    std::size_t sp1 = request.find(' '), sp2 = request.find(' ', sp1 + 1);
    const std::string method = request.substr(0, sp1);
    const std::string target = request.substr(sp1 + 1, sp2 - sp1 - 1);
    const std::string path = target.substr(0, target.find('?'));
    std::pair<int, std::string> answer{404, R"({"message":"page not found"})"};
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(method + " " + target);
      auto it = routes_.find(path);
      if (it != routes_.end()) answer = it->second;
    }
    std::string head = "HTTP/1.1 " + std::to_string(answer.first) +
                       " X\r\nContent-Type: application/json\r\nApi-Version: 1.41\r\n"
                       "Content-Length: " +
                       std::to_string(answer.second.size()) + "\r\nConnection: close\r\n\r\n";
    std::string out = head + answer.second;
    std::size_t sent = 0;
    while (sent < out.size()) {
      ssize_t n = ::send(c, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return;
      sent += static_cast<std::size_t>(n);
    }
  }

  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::map<std::string, std::pair<int, std::string>> routes_;
  std::vector<std::string> requests_;
};

const char* const kNames[] = {"evonic-labelled", "hand-made-box", "evonic-admin-6f07b262",
                              "evonic-data-analyst-e0d4d663"};
// From engine-docker20.10/engine.txt.
const std::map<std::string, std::string> kIds = {
    {"evonic-data-analyst-e0d4d663",
     "58a261e59700f53aba5560db9ba4700c5aa273a7d53a88fbe554328f67a4bb92"},
    {"evonic-admin-6f07b262", "890cbff6a020a6a20b5351c152fea3e2f28f025dea337b7fd86d9f0861c896ec"},
    {"hand-made-box", "738a1598226385dfe2089031bcbf0b7d132592ad6b6de6565011f739c0d9a6af"},
    {"evonic-labelled", "2c7c125b0113a87e0bfdb0b85d5987e522df9d7ab3bb6bdf7d62ae418592eac4"},
};

const model::Sandbox* ByName(const CycleResult& r, const std::string& name) {
  for (const model::Sandbox& s : r.sandboxes) {
    if (s.container_name == name) return &s;
  }
  return nullptr;
}

class CollectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_.Set("/version", Fixture("engine-docker20.10/version.json"));
    engine_.Set("/v1.41/containers/json", Fixture("engine-docker20.10/containers.json"));
    for (const char* name : kNames) {
      const std::string id = kIds.at(name);
      engine_.Set("/v1.41/containers/" + id + "/json",
                  Fixture(std::string("engine-docker20.10/inspect/") + name + ".json"));
    }
  }
  void SetStats(const std::string& name, const std::string& fixture) {
    engine_.Set("/v1.41/containers/" + kIds.at(name) + "/stats",
                Fixture("engine-docker20.10/" + fixture));
  }
  DockerClient Client() {
    std::string error;
    auto endpoint =
        DockerEndpoint::Parse("tcp://127.0.0.1:" + std::to_string(engine_.port()), &error);
    EXPECT_TRUE(endpoint.has_value()) << error;
    DockerClient::Options o;
    o.endpoint = *endpoint;
    o.request_timeout = std::chrono::milliseconds(5000);
    return DockerClient(o);
  }
  IdentityResolver Identity() {
    IdentityResolver::Options o{"evonic.agent_id", "evonic.session_id", {kDefaultNameRule}};
    std::string error;
    auto r = IdentityResolver::Create(o, &error);
    EXPECT_TRUE(r.has_value()) << error;
    return *r;
  }

  CurlGlobal curl_;
  FakeEngine engine_;
  std::FILE* devnull_ = std::fopen("/dev/null", "w");
  logging::Logger log_{logging::Level::kError, logging::Format::kLogfmt, devnull_};

  void TearDown() override { std::fclose(devnull_); }
};

TEST_F(CollectorTest, StoppedAnswerIsNoSampleAndOneShotNeedsTwoReadings) {
  SetStats("hand-made-box", "stats-stopped.json");
  SetStats("evonic-data-analyst-e0d4d663", "stats-oneshot/evonic-data-analyst-e0d4d663.1.json");
  SetStats("evonic-admin-6f07b262", "stats-oneshot/evonic-admin-6f07b262.1.json");
  SetStats("evonic-labelled", "stats-oneshot/evonic-labelled.1.json");
  DockerClient client = Client();
  SandboxCollector collector(client, Identity(), SandboxCollector::Options{}, log_);

  CycleResult first = collector.Collect();
  ASSERT_TRUE(first.engine_up);
  EXPECT_EQ(first.api_version, "1.41");
  EXPECT_EQ(first.errors, 0u);
  EXPECT_EQ(first.unmatched, 1u);  // hand-made-box
  ASSERT_EQ(first.sandboxes.size(), 4u);
  // Sorted by (agent, session).
  EXPECT_EQ(first.sandboxes[0].agent_id, "admin");
  EXPECT_EQ(first.sandboxes[0].session_id, "admin-6f07b262");
  EXPECT_EQ(first.sandboxes[1].agent_id, "data-analyst");
  EXPECT_EQ(first.sandboxes[1].session_id, "data-analyst-e0d4d663");
  EXPECT_EQ(first.sandboxes[2].agent_id, "ops");  // from the labels
  EXPECT_EQ(first.sandboxes[2].session_id, "ops-12345678");
  EXPECT_EQ(first.sandboxes[3].agent_id, "unknown");
  EXPECT_EQ(first.sandboxes[3].session_id, "hand-made-box");

  const model::Sandbox* stopped = ByName(first, "hand-made-box");
  ASSERT_NE(stopped, nullptr);
  EXPECT_FALSE(stopped->usage.has_value());  // the stopped answer is no sample
  EXPECT_FALSE(stopped->limits.memory_bytes.has_value());

  const model::Sandbox* busy = ByName(first, "evonic-data-analyst-e0d4d663");
  ASSERT_NE(busy, nullptr);
  EXPECT_EQ(busy->container_id, kIds.at("evonic-data-analyst-e0d4d663"));
  EXPECT_EQ(busy->image, "evonic-sandbox:test");
  EXPECT_EQ(busy->network_mode, "none");
  EXPECT_EQ(busy->limits.memory_bytes, 536870912.0);
  EXPECT_EQ(busy->limits.cpu_cores, 1.0);
  EXPECT_EQ(busy->limits.pids, 256.0);
  ASSERT_TRUE(busy->usage.has_value());
  EXPECT_FALSE(busy->usage->cpu_utilization_ratio.has_value());  // one reading so far
  ASSERT_TRUE(busy->usage->cpu_seconds.has_value());
  EXPECT_NEAR(*busy->usage->cpu_seconds, 11075042638 / 1e9, 1e-12);  // .1 total_usage
  const model::Sandbox* labelled = ByName(first, "evonic-labelled");
  ASSERT_NE(labelled, nullptr);
  EXPECT_EQ(labelled->limits.cpu_cores, 0.5);

  // Every stats request was one-shot (API 1.41).
  int stats_requests = 0;
  for (const std::string& r : engine_.Requests()) {
    if (r.find("/stats") == std::string::npos) continue;
    ++stats_requests;
    EXPECT_NE(r.find("stream=false&one-shot=true"), std::string::npos) << r;
  }
  EXPECT_EQ(stats_requests, 4);

  // Second cycle: .2 answers; the stopped box is running again.
  SetStats("hand-made-box", "stats-oneshot/hand-made-box.1.json");
  SetStats("evonic-data-analyst-e0d4d663", "stats-oneshot/evonic-data-analyst-e0d4d663.2.json");
  SetStats("evonic-admin-6f07b262", "stats-oneshot/evonic-admin-6f07b262.2.json");
  SetStats("evonic-labelled", "stats-oneshot/evonic-labelled.2.json");
  CycleResult second = collector.Collect();
  EXPECT_EQ(second.errors, 0u);
  busy = ByName(second, "evonic-data-analyst-e0d4d663");
  ASSERT_NE(busy, nullptr);
  ASSERT_TRUE(busy->usage && busy->usage->cpu_utilization_ratio);
  // .2 total_usage 12078938869 - .1 11075042638 over 1363570000000 - 1361560000000, x 2
  EXPECT_NEAR(*busy->usage->cpu_utilization_ratio,
              (12078938869.0 - 11075042638.0) / (1363570000000.0 - 1361560000000.0) * 2, 1e-12);
  stopped = ByName(second, "hand-made-box");
  ASSERT_NE(stopped, nullptr);
  ASSERT_TRUE(stopped->usage.has_value());
  // The stopped answer was not kept as a previous reading: still no ratio.
  EXPECT_FALSE(stopped->usage->cpu_utilization_ratio.has_value());
  EXPECT_EQ(stopped->usage->memory_used_bytes, 589824.0);  // hand-made-box.1 usage, 0 inactive

  // Inspect was asked once per container, not every cycle.
  int inspects = 0;
  for (const std::string& r : engine_.Requests()) {
    if (r.size() > 5 && r.compare(r.size() - 5, 5, "/json") == 0 &&
        r.find("/containers/json") == std::string::npos) {
      ++inspects;
    }
  }
  EXPECT_EQ(inspects, 4);
}

TEST_F(CollectorTest, UnusableStatsAnswerCountsAsAnErrorAndKeepsTheSandbox) {
  SetStats("hand-made-box", "stats-oneshot/hand-made-box.1.json");
  SetStats("evonic-data-analyst-e0d4d663", "stats-oneshot/evonic-data-analyst-e0d4d663.1.json");
  SetStats("evonic-admin-6f07b262", "stats-oneshot/evonic-admin-6f07b262.1.json");
  engine_.Set("/v1.41/containers/" + kIds.at("evonic-labelled") + "/stats",
              Fixture("engine-docker20.10/stats-oneshot/evonic-labelled.1.json").substr(0, 100));
  DockerClient client = Client();
  SandboxCollector collector(client, Identity(), SandboxCollector::Options{}, log_);
  CycleResult r = collector.Collect();
  EXPECT_TRUE(r.engine_up);
  EXPECT_EQ(r.errors, 1u);
  ASSERT_EQ(r.sandboxes.size(), 4u);
  const model::Sandbox* broken = ByName(r, "evonic-labelled");
  ASSERT_NE(broken, nullptr);
  EXPECT_FALSE(broken->usage.has_value());
  EXPECT_EQ(broken->limits.pids, 64.0);
}

TEST_F(CollectorTest, EngineAnswering404ForStatsDropsThatSandbox) {
  SetStats("hand-made-box", "stats-oneshot/hand-made-box.1.json");
  SetStats("evonic-data-analyst-e0d4d663", "stats-oneshot/evonic-data-analyst-e0d4d663.1.json");
  SetStats("evonic-labelled", "stats-oneshot/evonic-labelled.1.json");
  engine_.Set("/v1.41/containers/" + kIds.at("evonic-admin-6f07b262") + "/stats",
              Fixture("engine-docker20.10/error-404-stats.json"), 404);
  DockerClient client = Client();
  SandboxCollector collector(client, Identity(), SandboxCollector::Options{}, log_);
  CycleResult r = collector.Collect();
  EXPECT_EQ(r.errors, 0u);  // removed between list and stats: not an error
  EXPECT_EQ(r.sandboxes.size(), 3u);
  EXPECT_EQ(ByName(r, "evonic-admin-6f07b262"), nullptr);
}

TEST_F(CollectorTest, EngineDown) {
  std::string error;
  auto endpoint = DockerEndpoint::Parse("unix:///nonexistent/docker.sock", &error);
  ASSERT_TRUE(endpoint.has_value());
  DockerClient::Options o;
  o.endpoint = *endpoint;
  DockerClient client(o);
  SandboxCollector collector(client, Identity(), SandboxCollector::Options{}, log_);
  CycleResult r = collector.Collect();
  EXPECT_FALSE(r.engine_up);
  EXPECT_GE(r.errors, 1u);
  EXPECT_TRUE(r.sandboxes.empty());
  EXPECT_EQ(r.api_version, "");
}

}  // namespace
}  // namespace evonic::collectors
