#include "exporter/flags.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <limits>
#include <string_view>
#include <utility>

#include "model/alert_thresholds.h"

namespace evonic::exporter {

namespace {

// Duration units, largest first.
constexpr std::pair<const char*, long long> kDurationUnits[] = {
    {"d", 86400000}, {"h", 3600000}, {"m", 60000}, {"s", 1000}, {"ms", 1}};

// The duration as ParseDuration reads it back: "10s", "1m30s".
std::string DurationText(std::chrono::milliseconds d) {
  std::string out;
  long long left = d.count();
  for (const auto& [unit, ms] : kDurationUnits) {
    if (left < ms) continue;
    out += std::to_string(left / ms) + unit;
    left %= ms;
  }
  return out;
}

std::string Quoted(const std::string& text) { return "\"" + text + "\""; }

// The spelling among `names` that `parse` reads as `value` (the default shown in --help).
template <typename T>
std::string Spelling(T value, const std::vector<std::string>& names,
                     std::optional<T> (*parse)(std::string_view)) {
  for (const std::string& name : names) {
    if (parse(name) == value) return name;
  }
  return "";
}

// "a, b or c".
std::string OneOf(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " or " : ", ";
    out += names[i];
  }
  return out;
}

// What a flag's value goes into while parsing.
struct Parsing {
  Config c;
  bool name_rules_given = false;  // the first --identity.name-rule replaces the default
};

// Stores a flag's value; returns what is wrong with it, or "".
using Setter = std::function<std::string(Parsing&, const std::string&)>;

// One flag: how --help shows it and how its value is read.
struct Flag {
  std::string name;   // after "--"
  std::string value;  // after '=' in --help: the default, or what to give; "" for a switch
  std::string help;   // lines separated by '\n'
  Setter set;
  std::string short_name = {};  // "-h": a switch's other spelling
};

// `field`: a member of Config, or a function of Config returning the string to set.
template <typename Field>
Setter Text(Field field, bool allow_empty = false) {
  return [field, allow_empty](Parsing& p, const std::string& v) {
    if (v.empty() && !allow_empty) return std::string("must not be empty");
    std::invoke(field, p.c) = v;
    return std::string();
  };
}

// What `parse` reads (absent when malformed) into `field`; the error says what is `expected`.
template <typename T, typename Parse>
Setter Parsed(T Config::*field, Parse parse, const std::string& expected) {
  return [=](Parsing& p, const std::string& v) {
    std::optional<T> value = parse(v);
    if (!value) return "expected " + expected;
    p.c.*field = *value;
    return std::string();
  };
}

// A whole number in [low, high], handed to `store`; `why` follows the range in the error.
Setter WholeNumber(long low, long high, const std::string& why,
                   std::function<void(Config&, long)> store) {
  return [=](Parsing& p, const std::string& v) {
    char* end = nullptr;
    long n = std::strtol(v.c_str(), &end, 10);
    if (v.empty() || *end != '\0' || n < low || n > high) {
      return "expected a whole number from " + std::to_string(low) + " to " + std::to_string(high) +
             why;
    }
    store(p.c, n);
    return std::string();
  };
}

Setter Switch(bool Config::*field) {
  return [field](Parsing& p, const std::string&) {
    p.c.*field = true;
    return std::string();
  };
}

// Every flag, in --help's order; the defaults shown come from Config's.
std::vector<Flag> Flags() {
  const Config d;
  const std::vector<std::string> levels = {"debug", "info", "warn", "error"};
  const std::vector<std::string> formats = {"logfmt", "json"};
  const std::vector<std::string> modes = {"raw", "hash", "drop"};
  const std::vector<std::string> sources = {"auto", "cgroupfs", "engine"};
  const std::string positive_duration = "a positive duration such as 5s or 500ms";
  char threshold[32];
  std::snprintf(threshold, sizeof threshold, "%g", model::AlertThresholds::kBuiltInDefault);
  return {
      {"web.listen-address", Quoted(d.listen_address),
       "address to serve /metrics on ([host]:port; port 0 = any free)",
       Text(&Config::listen_address)},
      {"web.telemetry-path", Quoted(d.telemetry_path), "path of the metrics page",
       [](Parsing& p, const std::string& v) {
         if (v.empty() || v[0] != '/' || v == "/" || v == "/healthz") {
           return std::string("must start with / and not be / or /healthz");
         }
         p.c.telemetry_path = v;
         return std::string();
       }},
      {"web.max-connections", std::to_string(d.max_connections),
       "connections served at once, each holding a worker thread\n"
       "until it closes (idle keep-alive ends after 2 s); more wait,\n"
       "unread, for up to 5 s",
       WholeNumber(4, 1024, "",
                   [](Config& c, long n) { c.max_connections = static_cast<int>(n); })},
      {"web.max-connections-per-client", std::to_string(d.max_connections_per_client),
       "one client address's share of those (IPv6: one /64); beyond\n"
       "it a client is served only while more than a share stays\n"
       "free, so slow clients from one address cannot hold them all",
       WholeNumber(1, 1024, "",
                   [](Config& c, long n) { c.max_connections_per_client = static_cast<int>(n); })},
      {"docker.host", "...",
       "engine endpoint: unix:///path or tcp://host:port\n"
       "(default $DOCKER_HOST, else " +
           d.docker_host + ")",
       Text(&Config::docker_host)},
      {"docker.label-filter", Quoted(d.label_filter), "label that marks sandbox containers",
       Text(&Config::label_filter)},
      {"docker.timeout", Quoted(DurationText(d.docker_timeout)),
       "total time allowed for one engine request",
       Parsed(&Config::docker_timeout, &ParseDuration, positive_duration)},
      {"collect.interval", Quoted(DurationText(d.collect_interval)),
       "time between the starts of two collection cycles",
       Parsed(&Config::collect_interval, &ParseDuration, positive_duration)},
      {"collector.stats-source",
       Quoted(Spelling(d.stats_source, sources, &collectors::ParseStatsSourceMode)),
       "where the sandboxes' counters come from: cgroupfs (read\n"
       "directly, see --path.cgroupfs), engine (its stats API) or\n"
       "auto (cgroupfs where readable, else the engine)",
       Parsed(&Config::stats_source, &collectors::ParseStatsSourceMode, OneOf(sources))},
      {"sandbox.max-containers", std::to_string(static_cast<long>(d.max_containers)),
       "Evonic's SANDBOX_MAX_CONTAINERS (pool capacity)",
       WholeNumber(1, 100, " (Evonic's allowed range)",
                   [](Config& c, long n) {
                     c.max_containers = static_cast<double>(n);
                     c.max_containers_given = true;
                   })},
      {"identity.agent-label", Quoted(d.identity.agent_label),
       "container label holding the agent id (\"\" = none)",
       Text([](Config& c) -> std::string& { return c.identity.agent_label; }, true)},
      {"identity.session-label", Quoted(d.identity.session_label),
       "container label holding the session id (\"\" = none)",
       Text([](Config& c) -> std::string& { return c.identity.session_label; }, true)},
      {"identity.name-rule", "REGEX",
       "rule deriving the ids from the container name; repeat for\n"
       "several, tried in order. Named groups (?<session>...) and\n"
       "optionally (?<agent>...); \\k<agent> refers back. The first\n"
       "use replaces the default:\n" +
           d.identity.name_rules.front(),
       [](Parsing& p, const std::string& v) {
         if (v.empty()) return std::string("must not be empty");
         if (!p.name_rules_given) p.c.identity.name_rules.clear();
         p.name_rules_given = true;
         p.c.identity.name_rules.push_back(v);
         return std::string();
       }},
      {"path.procfs", Quoted(d.procfs),
       "procfs mount: the process_* metrics, and host CPU time and\n"
       "memory for the cgroupfs stats source",
       Text(&Config::procfs)},
      {"path.cgroupfs", Quoted(d.cgroupfs),
       "cgroupfs mount, for the cgroupfs stats source (the host's,\n"
       "read-only, when the exporter runs in a container)",
       Text(&Config::cgroupfs)},
      {"web.config.file", "FILE",
       "exporter-toolkit web config: basic_auth_users (bcrypt),\n"
       "tls_server_config, http_server_config.headers; re-read on\n"
       "SIGHUP. The REST endpoints always require credentials.",
       Text(&Config::web_config_file)},
      {"web.ui.frame-ancestors", Quoted(d.ui_frame_ancestors),
       "who may embed the live page /ui/ in a frame: the CSP\n"
       "frame-ancestors sources, e.g. 'self' https://evonic.example.com",
       [](Parsing& p, const std::string& v) {
         // One header value: printable ASCII without the ';' and ',' that would start another
         // directive or policy.
         bool ok = !v.empty();
         for (unsigned char ch : v) ok = ok && ch >= 0x20 && ch < 0x7f && ch != ';' && ch != ',';
         if (!ok) return std::string("expected CSP sources ('none', 'self', https://host ...)");
         p.c.ui_frame_ancestors = v;
         return std::string();
       }},
      {"evonic.root", "DIR",
       "Evonic's folder: agents and sessions from its databases\n"
       "(shared/db/evonic.db, agents/<id>/chat.db), and its .env",
       Text(&Config::evonic_root)},
      {"identity.session-label-mode", d.session_label_mode,
       "how the session_id label is exported: raw, hash (a keyed\n"
       "hash; needs --identity.session-hash-key-file) or drop",
       [modes](Parsing& p, const std::string& v) {
         if (std::find(modes.begin(), modes.end(), v) == modes.end()) {
           return "expected " + OneOf(modes);
         }
         p.c.session_label_mode = v;
         return std::string();
       }},
      {"identity.session-hash-key-file", "FILE", "key for session-label-mode=hash",
       Text(&Config::session_hash_key_file)},
      {"thresholds.file", "FILE",
       "per-agent alert thresholds (YAML or JSON): a default and\n"
       "per-agent cpu and memory ratios, published as\n"
       "evonic_sandbox_alert_threshold_ratio; re-read on SIGHUP\n"
       "(default: " +
           std::string(threshold) + " for every agent)",
       Text(&Config::thresholds_file)},
      {"history.path", "FILE",
       "keep every sandbox's figures in this SQLite file, served at\n"
       ".../sandbox/stats/history (default: no history)",
       Text(&Config::history_path)},
      {"history.interval", Quoted(DurationText(d.history_interval)),
       "time between two writes of the history",
       Parsed(&Config::history_interval, &ParseDuration, positive_duration)},
      {"history.retention", Quoted(DurationText(d.history_retention)),
       "how long the history keeps a point",
       Parsed(&Config::history_retention, &ParseDuration, positive_duration)},
      {"log.level", Quoted(Spelling(d.log_level, levels, &logging::ParseLevel)), OneOf(levels),
       Parsed(&Config::log_level, &logging::ParseLevel, OneOf(levels))},
      {"log.format", Quoted(Spelling(d.log_format, formats, &logging::ParseFormat)), OneOf(formats),
       Parsed(&Config::log_format, &logging::ParseFormat, OneOf(formats))},
      {"version", "", "print the version and exit", Switch(&Config::show_version)},
      {"help", "", "print this text and exit", Switch(&Config::show_help), "-h"},
  };
}

}  // namespace

std::optional<std::chrono::milliseconds> ParseDuration(const std::string& text) {
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
    const std::string unit = text.substr(digits_end, unit_end - digits_end);
    long long unit_ms = 0;
    for (const auto& [name, ms] : kDurationUnits) {
      if (unit == name) unit_ms = ms;
    }
    // Units from largest to smallest, each once, as Prometheus' durations ("1m30s", not "30s1m").
    if (unit_ms == 0 || unit_ms >= last_unit) return std::nullopt;
    last_unit = unit_ms;
    total += n * unit_ms;
    i = unit_end;
  }
  if (total <= 0) return std::nullopt;
  return std::chrono::milliseconds(total);
}

std::string Usage() {
  // The help text starts in this column; a longer flag puts it on the next line.
  constexpr std::size_t kHelpColumn = 36;
  std::string out = R"(usage: evonic-sandbox-exporter [flags]
       evonic-sandbox-exporter hash-password [--cost=N] < password

Prometheus exporter for Evonic's Docker sandboxes: CPU, memory, network, block I/O and PIDs of
every sandbox container, labelled by agent_id and session_id.

Flags (--flag=value or --flag value):
)";
  for (const Flag& flag : Flags()) {
    std::string line = "  " + (flag.short_name.empty() ? "" : flag.short_name + ", ") + "--" +
                       flag.name + (flag.value.empty() ? "" : "=" + flag.value);
    // Pads to the help column, or breaks the line when the flag reaches it.
    out += line.size() < kHelpColumn ? line.append(kHelpColumn - line.size(), ' ')
                                     : line + "\n" + std::string(kHelpColumn, ' ');
    for (char ch : flag.help) {
      out += ch;
      if (ch == '\n') out.append(kHelpColumn, ' ');
    }
    out += '\n';
  }
  return out;
}

ParsedFlags ParseFlags(const std::vector<std::string>& args, const std::string& env_docker_host) {
  const std::vector<Flag> flags = Flags();
  auto find = [&flags](const std::string& name, bool is_short) -> const Flag* {
    for (const Flag& flag : flags) {
      if (!name.empty() && (is_short ? flag.short_name : flag.name) == name) return &flag;
    }
    return nullptr;
  };
  auto fail = [](const std::string& message) { return ParsedFlags{std::nullopt, message}; };
  Parsing p;
  if (!env_docker_host.empty()) p.c.docker_host = env_docker_host;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    std::string name, value;
    const Flag* flag = nullptr;
    if (arg.rfind("--", 0) == 0) {
      name = arg.substr(2);
      std::size_t eq = name.find('=');
      if (eq != std::string::npos) {
        value = name.substr(eq + 1);
        name.resize(eq);
      }
      flag = find(name, false);
      // A switch takes no value: --help=yes is no flag.
      if (flag == nullptr || (flag->value.empty() && eq != std::string::npos)) {
        return fail("unknown flag --" + name);
      }
      if (!flag->value.empty() && eq == std::string::npos) {
        if (i + 1 >= args.size()) return fail("flag --" + name + " needs a value");
        value = args[++i];
      }
    } else if (flag = find(arg, true); flag == nullptr) {
      return fail("unexpected argument '" + arg + "'");
    }
    std::string problem = flag->set(p, value);
    if (!problem.empty()) return fail("--" + name + "=" + value + ": " + problem);
  }
  return ParsedFlags{p.c, ""};
}

}  // namespace evonic::exporter
