// Consistency under concurrency: one thread publishes thousands of snapshots whose every value is
// their generation number while several threads scrape /metrics over HTTP. Each response must be
// uniform (all values from one generation) and generations never go backwards for a scraper.
// Built and run under ThreadSanitizer in CI.

#include <curl/curl.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "collectors/docker/curl_handles.h"
#include "exporter/render/exposition.h"
#include "exporter/rest_routes.h"
#include "exporter/routes.h"
#include "exporter/web/http_server.h"
#include "logging/logger.h"
#include "model/latest.h"
#include "tests/support/test_sandboxes.h"

namespace evonic {
namespace {

// The metrics whose every value the snapshot below sets to its generation number: every
// per-sandbox metric of the table but the info series (always 1), and these.
const std::set<std::string> kGenerationValuedOthers = {
    "evonic_sandbox_pool_max_containers",
    "evonic_sandbox_exporter_collect_duration_seconds",
    "evonic_sandbox_exporter_collect_interval_seconds",
    "evonic_sandbox_exporter_last_collect_timestamp_seconds",
    "evonic_sandbox_exporter_collect_errors_total",
    "evonic_sandbox_exporter_collect_overruns_total",
    "evonic_sandbox_exporter_unmatched_containers"};

std::set<std::string> GenerationValued() {
  std::set<std::string> names = kGenerationValuedOthers;
  for (const exporter::MetricDef& def : exporter::MetricTable()) {
    if (def.per_sandbox != nullptr) names.insert(def.name);
  }
  return names;
}

std::shared_ptr<const model::Snapshot> SnapshotOfGeneration(std::uint64_t g) {
  auto s = std::make_shared<model::Snapshot>();
  const double v = static_cast<double>(g);
  s->generation = g;
  s->pool_max_containers = v;
  s->status = {true, "1.41", v, v, v, v, v, v, v, v, "engine", v, v};
  for (int i = 0; i < 3; ++i) {
    const std::string agent = "agent" + std::to_string(i);
    s->sandboxes.push_back(test::SandboxOf(agent, agent + "-0000000" + std::to_string(i))
                               .Id(static_cast<char>('a' + i))
                               .EvonicName()
                               .Limits(v, v, v)
                               .StartedAt(v)
                               .Usage(test::UsageAll(v))
                               .Build());
  }
  return s;
}

// One response's generation-valued figures: "" when they are all one generation, not older than
// `*last` (which then becomes it); otherwise what is wrong, with `shown` (the response) attached.
std::string OneGenerationNotOlder(const std::set<double>& values, bool enough, double* last,
                                  const std::string& shown) {
  if (values.size() != 1 || !enough) {
    return "mixed or missing values in one response (" + std::to_string(values.size()) +
           " distinct):\n" + shown.substr(0, 2000);
  }
  if (*values.begin() < *last) return "generation went backwards";
  *last = *values.begin();
  return "";
}

std::size_t Append(char* data, std::size_t size, std::size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

TEST(SnapshotConsistency, EveryScrapeSeesOneGeneration) {
  collectors::CurlGlobal curl;
  logging::Logger log(logging::Level::kError, logging::Format::kLogfmt);
  const exporter::BuildInfo build{"test", "test"};
  exporter::ProcessStats no_process;  // process figures are not generation-valued: left out
  model::Latest<exporter::Exposition> latest(
      exporter::Render(SnapshotOfGeneration(1), no_process, build));
  exporter::Routes routes;
  exporter::AddExporterRoutes(latest, "/metrics", build, routes);
  std::string error;
  exporter::HttpServer::Options options;
  options.listen_address = "127.0.0.1:0";
  options.num_threads = 8;
  auto server = exporter::HttpServer::Start(options, routes, log, &error);
  ASSERT_NE(server, nullptr) << error;
  const std::string url = "http://127.0.0.1:" + std::to_string(server->port()) + "/metrics";

  constexpr std::uint64_t kGenerations = 3000;
  std::atomic<bool> done{false};
  std::thread publisher([&] {
    for (std::uint64_t g = 2; g <= kGenerations; ++g) {
      latest.Publish(exporter::Render(SnapshotOfGeneration(g), no_process, build));
    }
    done = true;
  });

  const std::set<std::string> generation_valued = GenerationValued();
  constexpr int kScrapers = 4;
  std::vector<std::string> failures(kScrapers);
  std::vector<int> scrapes(kScrapers, 0);
  std::vector<std::thread> scrapers;
  for (int t = 0; t < kScrapers; ++t) {
    scrapers.emplace_back([&, t] {
      collectors::detail::CurlEasy h(curl_easy_init());
      double last_generation = 0;
      bool gzip = t % 2 == 1;  // half the scrapers take the gzip copy
      while (failures[t].empty() && (!done || scrapes[t] < 5)) {
        std::string body;
        curl_easy_setopt(h.get(), CURLOPT_URL, url.c_str());
        curl_easy_setopt(h.get(), CURLOPT_WRITEFUNCTION, &Append);
        curl_easy_setopt(h.get(), CURLOPT_WRITEDATA, &body);
        curl_easy_setopt(h.get(), CURLOPT_ACCEPT_ENCODING, gzip ? "gzip" : nullptr);
        CURLcode rc = curl_easy_perform(h.get());
        long status = 0;
        curl_easy_getinfo(h.get(), CURLINFO_RESPONSE_CODE, &status);
        if (rc != CURLE_OK || status != 200) {
          failures[t] = "scrape failed: " + std::string(curl_easy_strerror(rc));
          break;
        }
        ++scrapes[t];
        std::istringstream lines(body);
        std::string line;
        std::set<double> values;
        std::size_t samples = 0;
        while (std::getline(lines, line)) {
          if (line.empty() || line[0] == '#') continue;
          std::string name = line.substr(0, line.find_first_of("{ "));
          if (!generation_valued.count(name)) continue;
          values.insert(std::strtod(line.substr(line.rfind(' ') + 1).c_str(), nullptr));
          ++samples;
        }
        failures[t] = OneGenerationNotOlder(values, samples >= 50, &last_generation,
                                            std::to_string(samples) + " samples:\n" + body);
      }
    });
  }
  publisher.join();
  for (auto& s : scrapers) s.join();
  for (int t = 0; t < kScrapers; ++t) {
    EXPECT_EQ(failures[t], "") << "scraper " << t;
    EXPECT_GE(scrapes[t], 5) << "scraper " << t;
  }
  std::printf("scrapes per thread:");
  for (int n : scrapes) std::printf(" %d", n);
  std::printf("\n");
}

// The REST answers are stored once per snapshot (RestAnswerCache): readers on several threads
// while snapshots are published must each get one snapshot's answer, never an older one than
// they saw before.
TEST(SnapshotConsistency, EveryRestAnswerSeesOneGeneration) {
  const exporter::BuildInfo build{"test", "test"};
  exporter::ProcessStats no_process;
  auto fresh = [&](std::uint64_t g) {
    auto s = std::make_shared<model::Snapshot>(*SnapshotOfGeneration(g));
    s->status.last_collect_timestamp_seconds =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    s->status.collect_interval_seconds = 3600;  // fresh for the whole test
    s->known_agents = std::make_shared<std::set<std::string>>(
        std::set<std::string>{"agent0", "agent1", "agent2"});
    return exporter::Render(s, no_process, build);
  };
  model::Latest<exporter::Exposition> latest(fresh(1));
  model::SystemClock clock;
  exporter::Routes routes;
  exporter::AddRestRoutes(latest, clock, nullptr, routes);
  const exporter::HttpHandler& handler = routes.at("/api/*").handler;

  constexpr std::uint64_t kGenerations = 2000;
  std::atomic<bool> done{false};
  std::thread publisher([&] {
    for (std::uint64_t g = 2; g <= kGenerations; ++g) latest.Publish(fresh(g));
    done = true;
  });
  constexpr int kReaders = 4;
  std::vector<std::string> failures(kReaders);
  std::vector<int> answers(kReaders, 0);
  std::vector<std::thread> readers;
  for (int t = 0; t < kReaders; ++t) {
    readers.emplace_back([&, t] {
      exporter::HttpRequest req;
      req.method = "GET";
      req.path = t % 2 ? "/api/sandbox/stats" : "/api/agents/agent1/sandbox/stats";
      double last = 0;
      while (failures[t].empty() && (!done || answers[t] < 5)) {
        exporter::HttpResponse r = handler(req);
        ++answers[t];
        if (r.status != 200) {
          failures[t] = "status " + std::to_string(r.status);
          break;
        }
        auto body = nlohmann::json::parse(r.Body());
        std::set<double> values;
        for (const auto& c : body["containers"]) values.insert(c["pids_current"].get<double>());
        if (body.contains("max_containers")) values.insert(body["max_containers"].get<double>());
        failures[t] = OneGenerationNotOlder(values, true, &last, body.dump());
      }
    });
  }
  publisher.join();
  for (auto& r : readers) r.join();
  for (int t = 0; t < kReaders; ++t) {
    EXPECT_EQ(failures[t], "") << "reader " << t;
    EXPECT_GE(answers[t], 5) << "reader " << t;
  }
}

}  // namespace
}  // namespace evonic
