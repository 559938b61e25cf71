#pragma once
// Command-line flags. Every input root (engine endpoint, procfs) is a flag; nothing is global.
// Each flag is declared once, in the table in flags.cc, from which both ParseFlags and Usage()
// are made; its default is the member initializer below, which --help shows.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "collectors/identity/identity.h"
#include "collectors/pipeline/stats_source_choice.h"
#include "logging/logger.h"

namespace evonic::exporter {

struct Config {
  std::string listen_address = ":9717";
  std::string telemetry_path = "/metrics";
  int max_connections = 32;            // served at once, each on a CivetWeb worker thread
  int max_connections_per_client = 8;  // of those, from one client address (IPv6: one /64)
  std::string docker_host = "unix:///var/run/docker.sock";
  std::string label_filter = "evonic.managed=1";
  std::chrono::milliseconds docker_timeout{10000};
  std::chrono::milliseconds collect_interval{5000};
  collectors::StatsSourceMode stats_source = collectors::StatsSourceMode::kAuto;
  double max_containers = 10;
  collectors::IdentityResolver::Options identity{
      "evonic.agent_id", "evonic.session_id", {collectors::kDefaultNameRule}};
  std::string procfs = "/proc";
  std::string cgroupfs = "/sys/fs/cgroup";
  std::string web_config_file;  // exporter-toolkit web config (auth, TLS); empty: none
  // CSP frame-ancestors of the live page (/ui/): who may frame it; 'none' by default.
  std::string ui_frame_ancestors = "'none'";
  std::string history_path;  // the history file (SQLite); empty: no history
  std::chrono::milliseconds history_interval{60000};
  std::chrono::milliseconds history_retention{7LL * 24 * 3600 * 1000};
  std::string evonic_root;  // Evonic's installation folder (its databases); empty: none
  std::string session_label_mode = "raw";  // session_id label: raw, hash or drop
  std::string session_hash_key_file;       // key of the keyed hash (mode "hash")
  bool max_containers_given = false;       // the flag wins over Evonic's own setting
  // Per-agent alert thresholds (YAML or JSON); empty: the built-in 0.9.
  std::string thresholds_file;
  logging::Level log_level = logging::Level::kInfo;
  logging::Format log_format = logging::Format::kLogfmt;
  bool show_help = false;
  bool show_version = false;
};

/// The outcome of parsing: a Config, or an error message for the user.
struct ParsedFlags {
  std::optional<Config> config;
  std::string error;
};

/// Parses argv (without argv[0]). `env_docker_host` is $DOCKER_HOST (empty when unset); the flag
/// wins over it.
ParsedFlags ParseFlags(const std::vector<std::string>& args, const std::string& env_docker_host);

/// Parses a Prometheus-style duration: "5s", "500ms", "1m30s", "2h". Absent when malformed or 0.
std::optional<std::chrono::milliseconds> ParseDuration(const std::string& text);

/// The -h text.
std::string Usage();

}  // namespace evonic::exporter
