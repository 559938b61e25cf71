// evonic-sandbox-exporter: parses the flags, starts the Application and waits for signals.
// What runs where is in ARCHITECTURE.md.

#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "exporter/application.h"
#include "exporter/flags.h"
#include "exporter/hash_password.h"
#include "logging/logger.h"

int main(int argc, char** argv) {
  using evonic::exporter::Application;
  // Block the signals before any thread exists, so that only the sigwait() below sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);  // re-reads --web.config.file and --thresholds.file
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a scraper that hangs up must not kill the exporter

  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args[0] == "hash-password") {
    return evonic::exporter::RunHashPassword({args.begin() + 1, args.end()}, stdin, stdout, stderr);
  }
  const char* env_host = std::getenv("DOCKER_HOST");
  auto parsed = evonic::exporter::ParseFlags(args, env_host != nullptr ? env_host : "");
  if (!parsed.config) {
    std::fprintf(stderr, "evonic-sandbox-exporter: %s\n(see --help)\n", parsed.error.c_str());
    return Application::kUsageError;
  }
  const evonic::exporter::Config& cfg = *parsed.config;
  if (cfg.show_help) {
    std::fputs(evonic::exporter::Usage().c_str(), stdout);
    return 0;
  }
  if (cfg.show_version) {
    std::printf("evonic-sandbox-exporter %s (revision %s)\n", EVONIC_VERSION, EVONIC_REVISION);
    return 0;
  }

  evonic::logging::Logger log(cfg.log_level, cfg.log_format);
  int exit_code = 0;
  auto app = Application::Start(cfg, {EVONIC_VERSION, EVONIC_REVISION}, log, &exit_code);
  if (!app) return exit_code;
  int received = 0;
  while (sigwait(&signals, &received) == 0 && received == SIGHUP) app->Reload();
  log.Info("shutting down", {{"signal", std::to_string(received)}});
  app.reset();
  return 0;
}
