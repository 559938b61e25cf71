#pragma once
// The running exporter: every long-lived object main() needs, built from the flags in one place
// and owned in the order they depend on each other.

#include <memory>
#include <optional>
#include <string>

#include "collectors/docker/curl_handles.h"
#include "collectors/docker/docker_engine.h"
#include "collectors/identity/sandbox_builder.h"
#include "collectors/pipeline/pipeline.h"
#include "exporter/alert_thresholds.h"
#include "exporter/flags.h"
#include "exporter/history/history_store.h"
#include "exporter/history/history_writer.h"
#include "exporter/render/exposition.h"
#include "exporter/render/rest_api.h"
#include "exporter/render/session_label.h"
#include "exporter/web/http_server.h"
#include "logging/logger.h"
#include "model/clock.h"
#include "model/latest.h"

namespace evonic::exporter {

/// \brief Builds, starts and stops the exporter.
///
/// Start() checks every input first (engine endpoint, identity rules, session labels, thresholds
/// file, web config), so that a broken one stops startup with one clear line before anything
/// listens; then it starts the HTTP server and the pipeline. Members are declared in dependency
/// order, so destruction stops the pipeline before the server and the server before what its
/// handlers read. Reload() (SIGHUP) and the destructor are for the thread that called Start().
class Application {
 public:
  /// Exit statuses of a failed start.
  static constexpr int kUsageError = 2;  // a flag or file is wrong
  static constexpr int kStartError = 1;  // e.g. the address is taken

  /// nullptr and `exit_code` when startup failed (the reason is logged).
  static std::unique_ptr<Application> Start(const Config& config, const BuildInfo& build,
                                            logging::Logger& log, int* exit_code);
  ~Application();

  /// SIGHUP: re-reads the web config and the thresholds file; a broken one keeps the last good.
  void Reload();

 private:
  Application(const Config& config, const BuildInfo& build, logging::Logger& log,
              SessionLabeler labeler, std::shared_ptr<const AlertThresholds> thresholds);
  std::shared_ptr<const Exposition> RenderNow(std::shared_ptr<const model::Snapshot> s) const;

  const Config config_;
  const BuildInfo build_;
  logging::Logger& log_;
  const SessionLabeler labeler_;
  model::SystemClock clock_;
  AlertThresholdsStore thresholds_;
  collectors::CurlGlobal curl_global_;
  std::optional<collectors::DockerEngine> engine_;
  std::optional<collectors::SandboxBuilder> builder_;
  std::optional<model::Latest<Exposition>> latest_;
  std::unique_ptr<HistoryStore> history_;  // null: --history.path not given
  std::optional<HistorySource> history_source_;
  std::unique_ptr<HttpServer> server_;
  std::optional<collectors::Pipeline> pipeline_;
  std::unique_ptr<HistoryWriter> history_writer_;  // reads latest_; its thread stopped first
};

}  // namespace evonic::exporter
