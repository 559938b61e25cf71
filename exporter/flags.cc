#include "exporter/flags.h"

#include <cstdlib>
#include <functional>
#include <limits>
#include <map>

namespace evonic::exporter {

std::optional<std::chrono::milliseconds> ParseDuration(const std::string& text) {
  static const std::map<std::string, long long> kUnits = {
      {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000}};
  if (text.empty()) return std::nullopt;
  long long total = 0;
  long long last_unit = std::numeric_limits<long long>::max();
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t digits_end = i;
    while (digits_end < text.size() && std::isdigit(static_cast<unsigned char>(text[digits_end]))) {
      ++digits_end;
    }
    if (digits_end == i || digits_end - i > 9) return std::nullopt;
    long long n = std::atoll(text.substr(i, digits_end - i).c_str());
    std::size_t unit_end = digits_end;
    while (unit_end < text.size() && std::isalpha(static_cast<unsigned char>(text[unit_end]))) {
      ++unit_end;
    }
    auto unit = kUnits.find(text.substr(digits_end, unit_end - digits_end));
    // Units from largest to smallest, each once, as Prometheus' durations ("1m30s", not "30s1m").
    if (unit == kUnits.end() || unit->second >= last_unit) return std::nullopt;
    last_unit = unit->second;
    total += n * unit->second;
    i = unit_end;
  }
  if (total <= 0) return std::nullopt;
  return std::chrono::milliseconds(total);
}

std::string Usage() {
  return R"(usage: evonic-sandbox-exporter [flags]

Prometheus exporter for Evonic's Docker sandboxes: CPU, memory, network, block I/O and PIDs of
every sandbox container, labelled by agent_id and session_id.

Flags (--flag=value or --flag value):
  --web.listen-address=":9717"      address to serve /metrics on ([host]:port; port 0 = any free)
  --web.telemetry-path="/metrics"   path of the metrics page
  --web.max-connections=32          connections served at once, each holding a worker thread
                                    until it closes (idle keep-alive ends after 2 s); more wait
                                    in a queue of the same size
  --docker.host=...                 engine endpoint: unix:///path or tcp://host:port
                                    (default $DOCKER_HOST, else unix:///var/run/docker.sock)
  --docker.label-filter="evonic.managed=1"
                                    label that marks sandbox containers
  --docker.timeout="10s"            total time allowed for one engine request
  --collect.interval="5s"           time between the starts of two collection cycles
  --sandbox.max-containers=10       Evonic's SANDBOX_MAX_CONTAINERS (pool capacity)
  --identity.agent-label="evonic.agent_id"
                                    container label holding the agent id ("" = none)
  --identity.session-label="evonic.session_id"
                                    container label holding the session id ("" = none)
  --identity.name-rule=REGEX        rule deriving the ids from the container name; repeat for
                                    several, tried in order. Named groups (?<session>...) and
                                    optionally (?<agent>...); \k<agent> refers back. The first
                                    use replaces the default:
                                    ^evonic-(?<session>(?<agent>.+)-[0-9a-f]{8})$
  --path.procfs="/proc"             procfs mount, for the process_* metrics
  --web.config.file=FILE            exporter-toolkit web config: basic_auth_users (bcrypt),
                                    tls_server_config, http_server_config.headers; re-read on
                                    SIGHUP. The REST endpoints always require credentials.
  --evonic.root=DIR                 Evonic's folder: agents and sessions from its databases
                                    (shared/db/evonic.db, agents/<id>/chat.db), and its .env
  --identity.session-label-mode=raw how the session_id label is exported: raw, hash (a keyed
                                    hash; needs --identity.session-hash-key-file) or drop
  --identity.session-hash-key-file=FILE
                                    key for session-label-mode=hash
  --thresholds.file=FILE            per-agent alert thresholds (YAML or JSON): a default and
                                    per-agent cpu and memory ratios, published as
                                    evonic_sandbox_alert_threshold_ratio; re-read on SIGHUP
                                    (default: 0.9 for every agent)
  --log.level="info"                debug, info, warn or error
  --log.format="logfmt"             logfmt or json
  --version                         print the version and exit
  -h, --help                        print this text and exit
)";
}

ParsedFlags ParseFlags(const std::vector<std::string>& args, const std::string& env_docker_host) {
  ParsedFlags out;
  Config c;
  if (!env_docker_host.empty()) c.docker_host = env_docker_host;
  bool name_rules_given = false;
  auto fail = [&out](const std::string& message) {
    out.config.reset();
    out.error = message;
    return out;
  };
  auto duration = [](std::chrono::milliseconds& into) {
    return [&into](const std::string& v) {
      auto d = ParseDuration(v);
      if (!d) return std::string("expected a positive duration such as 5s or 500ms");
      into = *d;
      return std::string();
    };
  };
  auto text = [](std::string& into, bool allow_empty) {
    return [&into, allow_empty](const std::string& v) {
      if (v.empty() && !allow_empty) return std::string("must not be empty");
      into = v;
      return std::string();
    };
  };
  // A whole number in [low, high], handed to `store`; `why` follows the range in the error.
  auto whole_number = [](long low, long high, const std::string& why,
                         std::function<void(long)> store) {
    return [=](const std::string& v) {
      char* end = nullptr;
      long n = std::strtol(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || n < low || n > high) {
        return "expected a whole number from " + std::to_string(low) + " to " +
               std::to_string(high) + why;
      }
      store(n);
      return std::string();
    };
  };
  using Setter = std::function<std::string(const std::string&)>;
  const std::map<std::string, Setter> setters = {
      {"web.listen-address", text(c.listen_address, false)},
      {"web.telemetry-path",
       [&c](const std::string& v) {
         if (v.empty() || v[0] != '/' || v == "/" || v == "/healthz") {
           return std::string("must start with / and not be / or /healthz");
         }
         c.telemetry_path = v;
         return std::string();
       }},
      {"web.max-connections",
       whole_number(4, 1024, "", [&c](long n) { c.max_connections = static_cast<int>(n); })},
      {"docker.host", text(c.docker_host, false)},
      {"docker.label-filter", text(c.label_filter, false)},
      {"docker.timeout", duration(c.docker_timeout)},
      {"collect.interval", duration(c.collect_interval)},
      {"sandbox.max-containers", whole_number(1, 100, " (Evonic's allowed range)",
                                              [&c](long n) {
                                                c.max_containers = static_cast<double>(n);
                                                c.max_containers_given = true;
                                              })},
      {"identity.agent-label", text(c.identity.agent_label, true)},
      {"identity.session-label", text(c.identity.session_label, true)},
      {"identity.name-rule",
       [&c, &name_rules_given](const std::string& v) {
         if (v.empty()) return std::string("must not be empty");
         if (!name_rules_given) c.identity.name_rules.clear();
         name_rules_given = true;
         c.identity.name_rules.push_back(v);
         return std::string();
       }},
      {"path.procfs", text(c.procfs, false)},
      {"web.config.file", text(c.web_config_file, false)},
      {"evonic.root", text(c.evonic_root, false)},
      {"identity.session-label-mode",
       [&c](const std::string& v) {
         if (v != "raw" && v != "hash" && v != "drop") {
           return std::string("expected raw, hash or drop");
         }
         c.session_label_mode = v;
         return std::string();
       }},
      {"identity.session-hash-key-file", text(c.session_hash_key_file, false)},
      {"thresholds.file", text(c.thresholds_file, false)},
      {"log.level",
       [&c](const std::string& v) {
         auto level = logging::ParseLevel(v);
         if (!level) return std::string("expected debug, info, warn or error");
         c.log_level = *level;
         return std::string();
       }},
      {"log.format",
       [&c](const std::string& v) {
         auto format = logging::ParseFormat(v);
         if (!format) return std::string("expected logfmt or json");
         c.log_format = *format;
         return std::string();
       }},
  };

  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "-h" || arg == "--help") {
      c.show_help = true;
      continue;
    }
    if (arg == "--version") {
      c.show_version = true;
      continue;
    }
    if (arg.rfind("--", 0) != 0) return fail("unexpected argument '" + arg + "'");
    std::string name = arg.substr(2), value;
    std::size_t eq = name.find('=');
    if (eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    } else {
      auto known = setters.find(name);
      if (known == setters.end()) return fail("unknown flag --" + name);
      if (i + 1 >= args.size()) return fail("flag --" + name + " needs a value");
      value = args[++i];
    }
    auto setter = setters.find(name);
    if (setter == setters.end()) return fail("unknown flag --" + name);
    std::string problem = setter->second(value);
    if (!problem.empty()) return fail("--" + name + "=" + value + ": " + problem);
  }
  out.config = c;
  return out;
}

}  // namespace evonic::exporter
