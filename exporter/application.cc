#include "exporter/application.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <utility>

#include "exporter/process_stats.h"
#include "exporter/rest_routes.h"
#include "exporter/routes.h"
#include "exporter/ui/ui_site.h"
#include "exporter/web/web_config.h"

namespace evonic::exporter {

namespace {

// The engine's connect timeout: at most 2 s, never more than the whole request may take.
constexpr std::chrono::milliseconds kMaxConnectTimeout{2000};

collectors::Pipeline::Options PipelineOptions(const Config& c) {
  collectors::Pipeline::Options o;
  o.label_filter = c.label_filter;
  o.interval = c.collect_interval;
  o.pool_max_containers = c.max_containers;
  o.pool_max_from_flag = c.max_containers_given;
  o.stats_source = c.stats_source;
  o.host_paths.cgroupfs = c.cgroupfs;
  o.host_paths.procfs = c.procfs;
  return o;
}

// Raises the soft limit of open files to the hard one, as Go does for every program since 1.19
// (node_exporter included): the connection gate keeps a waiting connection as one descriptor,
// and the shell's usual soft 1,024 would leave it room for only about 800.
void RaiseOpenFileLimit(logging::Logger& log) {
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) != 0 || files.rlim_cur >= files.rlim_max) return;
  const rlim_t before = files.rlim_cur;
  files.rlim_cur = files.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &files) == 0) {
    log.Debug("raised the open-file limit to the hard limit",
              {{"from", std::to_string(before)}, {"to", std::to_string(files.rlim_cur)}});
  }
}

}  // namespace

std::unique_ptr<Application> Application::Start(const Config& cfg, const BuildInfo& build,
                                                logging::Logger& log, int* exit_code) {
  *exit_code = kUsageError;
  std::string error;
  auto refuse = [&](const char* what) {
    log.Error(what, {{"err", error}});  // names the file or flag and the problem
    return nullptr;
  };
  auto endpoint = collectors::DockerEndpoint::Parse(cfg.docker_host, &error);
  if (!endpoint) return refuse("invalid configuration");
  auto identity = collectors::IdentityResolver::Create(cfg.identity, &error);
  if (!identity) return refuse("invalid configuration");
  auto labeler = SessionLabeler::Create(cfg.session_label_mode, cfg.session_hash_key_file, &error);
  if (!labeler) return refuse("invalid configuration");
  std::shared_ptr<const AlertThresholds> thresholds;
  if (!cfg.thresholds_file.empty()) {
    thresholds = LoadAlertThresholds(cfg.thresholds_file, &error);
    if (!thresholds) return refuse("invalid thresholds file");
  }
  RaiseOpenFileLimit(log);
  HttpServer::Options http;
  http.listen_address = cfg.listen_address;
  http.num_threads = cfg.max_connections;
  http.max_connections_per_client = cfg.max_connections_per_client;
  if (!cfg.web_config_file.empty()) {
    http.web_config = LoadWebConfig(cfg.web_config_file, &error);
    if (!http.web_config) return refuse("invalid web config");
  }

  std::unique_ptr<Application> app(
      new Application(cfg, build, log, std::move(*labeler), std::move(thresholds)));
  collectors::DockerClient::Options client;
  client.endpoint = *endpoint;
  client.request_timeout = cfg.docker_timeout;
  client.connect_timeout = std::min(cfg.docker_timeout, kMaxConnectTimeout);
  app->engine_.emplace(client, log);
  std::unique_ptr<collectors::EvonicDatabase> database;
  if (!cfg.evonic_root.empty()) {
    const char* env_max = std::getenv("SANDBOX_MAX_CONTAINERS");
    database = std::make_unique<collectors::EvonicDatabase>(
        cfg.evonic_root, log, app->clock_,
        env_max != nullptr ? std::optional<std::string>(env_max) : std::nullopt);
  }
  app->builder_.emplace(std::move(*identity), std::move(database));

  const collectors::Pipeline::Options pipeline = PipelineOptions(cfg);
  app->latest_.emplace(app->RenderNow(collectors::Pipeline::InitialSnapshot(pipeline)));
  if (!cfg.history_path.empty()) {
    HistoryStore::Options history;
    history.path = cfg.history_path;
    history.retention = std::chrono::duration_cast<std::chrono::seconds>(cfg.history_retention);
    app->history_ = HistoryStore::Open(history, log, &error);
    if (!app->history_) {
      log.Error("cannot keep the history", {{"err", error}});
      *exit_code = kStartError;
      return nullptr;
    }
    HistoryStore* store = app->history_.get();
    app->history_source_.emplace(
        HistorySource{[store](const model::HistoryQuery& q, model::HistoryPage* page,
                              std::string* err) { return store->Read(q, page, err); },
                      [store](const std::string& agent_id) { return store->HasAgent(agent_id); }});
  }
  Routes routes;
  AddExporterRoutes(*app->latest_, cfg.telemetry_path, build, routes);
  AddRestRoutes(*app->latest_, app->clock_, app->history_source_ ? &*app->history_source_ : nullptr,
                routes);
  UiSite::Options ui;
  ui.frame_ancestors = cfg.ui_frame_ancestors;
  AddUiRoutes(std::make_shared<const UiSite>(UiAssetFiles(), ui), routes);
  app->server_ = HttpServer::Start(http, std::move(routes), log, &error);
  if (!app->server_) {
    log.Error("cannot start the HTTP server", {{"err", error}});
    *exit_code = kStartError;
    return nullptr;
  }
  log.Info("evonic-sandbox-exporter started",
           {{"version", build.version},
            {"revision", build.revision},
            {"listen_address", cfg.listen_address},
            {"port", std::to_string(app->server_->port())},
            {"telemetry_path", cfg.telemetry_path},
            {"docker_host", cfg.docker_host},
            {"collect_interval", std::to_string(cfg.collect_interval.count()) + "ms"}});
  Application* self = app.get();
  if (app->history_) {
    // Made before the pipeline, whose render thread reads its counts; started after it.
    app->history_writer_ = std::make_unique<HistoryWriter>(
        *app->history_, [self] { return self->latest_->Get()->snapshot; }, app->clock_,
        cfg.history_interval, log);
  }
  app->pipeline_.emplace(pipeline, *app->engine_, *app->builder_, app->clock_, log,
                         [self](std::shared_ptr<const model::Snapshot> s) {
                           self->latest_->Publish(self->RenderNow(std::move(s)));
                         });
  app->pipeline_->Start();
  if (app->history_writer_) {
    app->history_writer_->Start();
    log.Info("history kept", {{"file", cfg.history_path},
                              {"interval", std::to_string(cfg.history_interval.count()) + "ms"},
                              {"retention", std::to_string(cfg.history_retention.count()) + "ms"}});
  }
  *exit_code = 0;
  return app;
}

Application::Application(const Config& config, const BuildInfo& build, logging::Logger& log,
                         SessionLabeler labeler, std::shared_ptr<const AlertThresholds> thresholds)
    : config_(config),
      build_(build),
      log_(log),
      labeler_(std::move(labeler)),
      thresholds_(config.thresholds_file, std::move(thresholds)) {}

Application::~Application() {
  if (history_writer_) history_writer_->Stop();  // the object stays: the render thread reads it
  if (pipeline_) pipeline_->Stop();
  server_.reset();
}

std::shared_ptr<const Exposition> Application::RenderNow(
    std::shared_ptr<const model::Snapshot> s) const {
  auto thresholds = thresholds_.Current();
  // Before the server runs (the first render) its counts are all 0.
  const model::AuthCounts auth = server_ ? server_->auth_stats() : model::AuthCounts{};
  std::optional<model::HistoryCounts> history;
  if (history_writer_) {
    history = history_writer_->Counts();
  } else if (history_) {
    history = model::HistoryCounts{};  // on, before the writer starts
  }
  const model::ConnectionCounts connections =
      server_ ? server_->gate_stats() : model::ConnectionCounts{};
  return Render(std::move(s), ReadProcessStats(config_.procfs), build_, labeler_, thresholds.get(),
                &auth, history ? &*history : nullptr, &connections);
}

void Application::Reload() {
  try {  // nothing an operator puts in a file may stop a running exporter
    ReloadWebConfigFile(config_.web_config_file, *server_, log_);
  } catch (const std::exception& e) {
    log_.Error("web config reload failed; keeping the previous one", {{"err", e.what()}});
  }
  thresholds_.Reload(log_);  // applies from the next render; a broken file keeps the last
}

}  // namespace evonic::exporter
