// evonic-sandbox-exporter: wires flags, the collection loop and the HTTP server together.
// Data flows one way: engine -> SandboxCollector -> Snapshot -> Exposition -> HTTP.

#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "collectors/docker/curl_handles.h"
#include "collectors/docker/docker_client.h"
#include "collectors/evonic/evonic_database.h"
#include "collectors/identity/identity.h"
#include "collectors/pipeline/collection_loop.h"
#include "collectors/pipeline/events_collector.h"
#include "collectors/pipeline/sandbox_collector.h"
#include "collectors/pipeline/snapshot_composer.h"
#include "exporter/alert_thresholds.h"
#include "exporter/flags.h"
#include "exporter/malloc_policy.h"
#include "exporter/process_stats.h"
#include "exporter/render/exposition.h"
#include "exporter/render/session_label.h"
#include "exporter/rest_routes.h"
#include "exporter/routes.h"
#include "exporter/web/http_server.h"
#include "exporter/web/web_config.h"
#include "logging/logger.h"
#include "model/latest.h"

namespace {

using namespace evonic;  // NOLINT(build/namespaces): main only wires things together

constexpr int kUsageError = 2;

int Run(const exporter::Config& cfg) {
  logging::Logger log(cfg.log_level, cfg.log_format);
  const exporter::BuildInfo build{EVONIC_VERSION, EVONIC_REVISION};

  std::string error;
  auto endpoint = collectors::DockerEndpoint::Parse(cfg.docker_host, &error);
  if (!endpoint) {
    log.Error("invalid configuration", {{"err", error}});
    return kUsageError;
  }
  auto identity = collectors::IdentityResolver::Create(cfg.identity, &error);
  if (!identity) {
    log.Error("invalid configuration", {{"err", error}});
    return kUsageError;
  }
  auto labeler =
      exporter::SessionLabeler::Create(cfg.session_label_mode, cfg.session_hash_key_file, &error);
  if (!labeler) {
    log.Error("invalid configuration", {{"err", error}});
    return kUsageError;
  }

  collectors::CurlGlobal curl_global;
  collectors::DockerClient::Options client_options;
  client_options.endpoint = *endpoint;
  client_options.request_timeout = cfg.docker_timeout;
  client_options.connect_timeout = std::min(cfg.docker_timeout, std::chrono::milliseconds(2000));
  collectors::DockerClient client(client_options);

  // Until the first cycle ends, scrapes see the exporter's own metrics and docker_up 0.
  auto initial = std::make_shared<model::Snapshot>();
  initial->pool_max_containers = cfg.max_containers;
  initial->status.collect_interval_seconds =
      std::chrono::duration<double>(cfg.collect_interval).count();
  model::Latest<exporter::Exposition> latest(
      exporter::Render(initial, exporter::ReadProcessStats(cfg.procfs), build, *labeler));

  exporter::Routes routes;
  exporter::AddExporterRoutes(latest, cfg.telemetry_path, build, routes);
  exporter::AddRestRoutes(latest, routes);
  exporter::HttpServer::Options http_options;
  http_options.listen_address = cfg.listen_address;
  http_options.num_threads = cfg.max_connections;
  // --- alert thresholds: a broken --thresholds.file stops startup before anything listens ---
  std::shared_ptr<const exporter::AlertThresholds> thresholds_initial;
  if (!cfg.thresholds_file.empty()) {
    thresholds_initial = exporter::LoadAlertThresholds(cfg.thresholds_file, &error);
    if (!thresholds_initial) {
      log.Error("invalid thresholds file", {{"err", error}});
      return kUsageError;
    }
  }
  // --- web config (--web.config.file: auth, TLS, headers) ---
  if (!cfg.web_config_file.empty()) {
    http_options.web_config = exporter::LoadWebConfig(cfg.web_config_file, &error);
    if (!http_options.web_config) {
      log.Error("invalid web config", {{"err", error}});  // names the file and the problem
      return kUsageError;
    }
  }
  // --- end web config ---
  auto server = exporter::HttpServer::Start(http_options, std::move(routes), log, &error);
  if (!server) {
    log.Error("cannot start the HTTP server", {{"err", error}});
    return 1;
  }
  log.Info("evonic-sandbox-exporter started",
           {{"version", build.version},
            {"revision", build.revision},
            {"listen_address", cfg.listen_address},
            {"port", std::to_string(server->port())},
            {"telemetry_path", cfg.telemetry_path},
            {"docker_host", cfg.docker_host},
            {"collect_interval", std::to_string(cfg.collect_interval.count()) + "ms"}});

  collectors::SandboxCollector::Options collector_options;
  collector_options.label_filter = cfg.label_filter;
  const collectors::IdentityResolver event_identity = *identity;  // the events' own copy
  collectors::SandboxCollector collector(client, std::move(*identity), collector_options, log);
  collectors::CollectionLoop::Options loop_options;
  loop_options.interval = cfg.collect_interval;
  loop_options.pool_max_containers = cfg.max_containers;
  loop_options.pool_max_from_flag = cfg.max_containers_given;
  // Evonic's database, refreshed by the collection thread (its only user) before each cycle.
  std::unique_ptr<::evonic::collectors::EvonicDatabase> evonic_db;
  if (!cfg.evonic_root.empty()) {
    const char* env_max = std::getenv("SANDBOX_MAX_CONTAINERS");
    evonic_db = std::make_unique<::evonic::collectors::EvonicDatabase>(
        cfg.evonic_root, log,
        env_max != nullptr ? std::optional<std::string>(env_max) : std::nullopt);
    loop_options.evonic = [db = evonic_db.get()] { return db->Refresh(); };
  }
  // --- alert thresholds (--thresholds.file): published per agent, re-read on SIGHUP ---
  exporter::AlertThresholdsStore thresholds(cfg.thresholds_file, std::move(thresholds_initial));
  // --- end alert thresholds ---
  const std::string procfs = cfg.procfs;
  // --- events: the composer joins stats snapshots and the event processor's updates ---
  exporter::FreeMemoryReturner free_memory(std::chrono::seconds(1));
  collectors::SnapshotComposer composer(initial, [&](std::shared_ptr<const model::Snapshot> s) {
    auto t = thresholds.Current();
    latest.Publish(exporter::Render(std::move(s), exporter::ReadProcessStats(procfs), build,
                                    *labeler, t.get()));
    free_memory.AfterPublish();  // the previous snapshot and this cycle's answers are free now
  });
  std::atomic<collectors::CollectionLoop*> early_loop{nullptr};
  collectors::EventsCollector::Options events_options;
  events_options.stream.client = client_options;
  events_options.stream.label_filter = cfg.label_filter;
  collectors::EventsCollector events(
      events_options, event_identity, log,
      [&composer](const collectors::EventsUpdate& u) { composer.OnEvents(u); },
      [&early_loop] {
        if (collectors::CollectionLoop* l = early_loop.load()) l->RequestEarlyCycle();
      });
  collectors::CollectionLoop loop(collector, loop_options,
                                  [&](std::shared_ptr<const model::Snapshot> s) {
                                    composer.OnStats(s);
                                    events.CrossCheck(std::move(s));
                                  });
  loop.Start();
  early_loop = &loop;
  events.Start();
  // --- end events ---

  // Signals were blocked in every thread before any started; wait for one here.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  // --- web config: SIGHUP re-reads it (a broken file keeps the old one); others stop ---
  sigaddset(&signals, SIGHUP);
  int received = 0;
  while (sigwait(&signals, &received) == 0 && received == SIGHUP) {
    exporter::ReloadWebConfigFile(cfg.web_config_file, *server, log);
    thresholds.Reload(log);  // applies from the next collection; a broken file keeps the last
  }
  // --- end web config ---
  log.Info("shutting down", {{"signal", std::to_string(received)}});
  early_loop = nullptr;
  events.Stop();
  loop.Stop();
  server.reset();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Block the shutdown signals before any thread exists so that only sigwait() sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);  // web config: SIGHUP re-reads --web.config.file (see Run)
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a scraper that hangs up must not kill the exporter

  std::vector<std::string> args(argv + 1, argv + argc);
  const char* env_host = std::getenv("DOCKER_HOST");
  ::evonic::exporter::ParsedFlags parsed =
      ::evonic::exporter::ParseFlags(args, env_host != nullptr ? env_host : "");
  if (!parsed.config) {
    std::fprintf(stderr, "evonic-sandbox-exporter: %s\n(see --help)\n", parsed.error.c_str());
    return kUsageError;
  }
  if (parsed.config->show_help) {
    std::fputs(::evonic::exporter::Usage().c_str(), stdout);
    return 0;
  }
  if (parsed.config->show_version) {
    std::printf("evonic-sandbox-exporter %s (revision %s)\n", EVONIC_VERSION, EVONIC_REVISION);
    return 0;
  }
  return Run(*parsed.config);
}
