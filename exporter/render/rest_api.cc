#include "exporter/render/rest_api.h"

#include <cmath>
#include <ctime>
#include <nlohmann/json.hpp>

#include "exporter/render/docker_units.h"
#include "exporter/render/history_query.h"

namespace evonic::exporter {

namespace {

using nlohmann::ordered_json;

constexpr const char* kAgentsPrefix = "/api/agents/";
constexpr const char* kAgentSuffix = "/sandbox/stats";
constexpr const char* kPoolPath = "/api/sandbox/stats";
constexpr const char* kHistorySuffix = "/history";

std::string Dump(const ordered_json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// A JSON answer; `text` ends with a newline.
Answer JsonText(int status, std::string text) {
  Answer r;
  r.status = status;
  r.content_type = "application/json";
  r.headers.emplace_back("Cache-Control", "no-store");
  r.body = std::move(text);
  return r;
}

Answer Error(int status, const std::string& message) {
  return JsonText(status, JsonErrorBody(status, message));
}

// The 400 for an agent id that cannot be Evonic's (live and history answers alike).
Answer InvalidAgentId() {
  return Error(400,
               "invalid agent id: it must be 1 to 128 characters without '/', '%', '..', '\\' "
               "or control characters");
}

std::string Rfc3339(double seconds) {
  auto whole = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&whole, &tm);
  char buf[40];
  std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03dZ",
                static_cast<int>((seconds - static_cast<double>(whole)) * 1000));
  return buf;
}

// Whole numbers (bytes, counts) as JSON integers, others as they are.
ordered_json Num(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 9.0e15) {
    return static_cast<long long>(v);
  }
  return v;
}

ordered_json Number(const std::optional<double>& v) {
  if (!v.has_value()) return nullptr;
  return Num(v.value());
}

// The memory limit docker stats shows: the container's own, else what the stats answer says
// (the host's memory when unlimited).
std::optional<double> ShownMemoryLimit(const model::Sandbox& s) {
  if (s.limits.memory_bytes) return s.limits.memory_bytes;
  return s.usage ? s.usage->memory_limit_bytes : std::nullopt;
}

// Tool runs and OOM kills of the sandbox's session since the exporter saw it start.
void AddEventCounters(ordered_json& c, const model::Sandbox& s, const model::EventsView* events) {
  const model::SessionEventCounters* counters = nullptr;
  if (events != nullptr) {
    auto it = events->sessions.find(s.container_id);
    if (it != events->sessions.end()) counters = &it->second;
  }
  static const model::SessionEventCounters kNone;
  if (counters == nullptr) counters = &kNone;
  ordered_json tools;
  for (std::size_t t = 0; t < model::kToolCount; ++t) {
    const model::ToolCounters& tc = counters->tools[t];
    tools[model::kToolNames[t]] = {{"runs", Num(tc.runs)},
                                   {"failures", Num(tc.failures)},
                                   {"seconds", std::round(tc.seconds * 1000) / 1000}};
  }
  c["tools"] = std::move(tools);
  c["oom_kills"] = Num(counters->oom_kills);
}

ordered_json Container(const model::Sandbox& s, const model::EvonicView* evonic,
                       const model::EventsView* events) {
  const model::SandboxUsage* u = s.usage ? &*s.usage : nullptr;
  ordered_json c;
  c["session_id"] = s.session_id;
  c["agent_id"] = s.agent_id;
  std::string user;
  if (evonic != nullptr) {
    if (auto it = evonic->sessions.find(s.session_id); it != evonic->sessions.end()) {
      user = it->second.external_user_id;
    }
  }
  c["external_user_id"] = user;  // "" when the database does not know the session
  c["container_id"] = s.container_id.substr(0, 12);
  c["container_name"] = s.container_name;
  // No null where the contract has a number: a figure no sample has (a sandbox's first moments,
  // a stats answer without it) is written as docker stats writes a container it has no figures
  // for yet (0, "0B", "0.00%"), and `measured` says whether the entry's figures were measured.
  c["measured"] = u != nullptr && u->cpu_utilization_ratio.has_value() &&
                  u->memory_used_bytes.has_value() && u->pids.has_value();
  const double cpu = u != nullptr && u->cpu_utilization_ratio
                         ? RoundTwoDecimals(*u->cpu_utilization_ratio * 100)
                         : 0;
  c["cpu_percent"] = cpu;
  // The live page draws CPU against the limit; cpu_percent's 100 is one core.
  c["cpu_limit_cores"] = Number(s.limits.cpu_cores);

  const double used = u != nullptr ? u->memory_used_bytes.value_or(0) : 0;
  const double limit = ShownMemoryLimit(s).value_or(0);
  const double percent = limit > 0 ? used / limit * 100 : 0;
  c["memory"] = {{"used", BinarySize(used)},    {"limit", BinarySize(limit)},
                 {"percent", Percent(percent)}, {"used_bytes", Num(used)},
                 {"limit_bytes", Num(limit)},   {"percent_value", RoundTwoDecimals(percent)}};
  const model::NetworkCounters network =
      u != nullptr && u->network ? *u->network : model::NetworkCounters{};
  c["network"] = {{"input", DecimalSize(network.receive_bytes)},
                  {"output", DecimalSize(network.transmit_bytes)},
                  {"input_bytes", Num(network.receive_bytes)},
                  {"output_bytes", Num(network.transmit_bytes)}};
  const double read = u != nullptr ? u->block_read_bytes.value_or(0) : 0;
  const double write = u != nullptr ? u->block_write_bytes.value_or(0) : 0;
  c["block_io"] = {{"read", DecimalSize(read)},
                   {"write", DecimalSize(write)},
                   {"read_bytes", Num(read)},
                   {"write_bytes", Num(write)}};
  const double pids = u != nullptr ? u->pids.value_or(0) : 0;
  c["pids"] = Num(pids).dump();  // no cast: a double may exceed long long
  c["pids_current"] = Num(pids);
  c["pids_limit"] = Number(s.limits.pids);
  AddEventCounters(c, s, events);
  return c;
}

// `body` (an object whose last key is "containers", an empty array) with the containers written
// one at a time: a document of 100 containers held as one DOM took 1.6 MB per render (heaptrack);
// compact dumps concatenate to the same bytes as dumping the whole document. Ends with a newline.
std::string WithContainers(const ordered_json& body, const std::vector<const model::Sandbox*>& list,
                           const model::Snapshot& snap, const ordered_json& after) {
  std::string out = Dump(body);
  out.pop_back();  // "]}" of the empty containers array and the object
  out.pop_back();
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (i > 0) out += ',';
    out += Dump(Container(*list[i], snap.evonic.get(), snap.events.get()));
  }
  out += ']';
  for (const auto& [key, value] : after.items()) {
    out += ',';
    out += Dump(ordered_json(key));
    out += ':';
    out += Dump(value);
  }
  out += "}\n";
  return out;
}

Answer Pool(const model::Snapshot& snap) {
  std::vector<const model::Sandbox*> list;
  list.reserve(snap.sandboxes.size());
  double cpu = 0, memory = 0, rx = 0, tx = 0, read = 0, write = 0, pids = 0;
  for (const model::Sandbox& s : snap.sandboxes) {
    list.push_back(&s);
    if (!s.usage) continue;
    const model::SandboxUsage& u = *s.usage;
    cpu += u.cpu_utilization_ratio.value_or(0) * 100;
    memory += u.memory_used_bytes.value_or(0);
    if (u.network) {
      rx += u.network->receive_bytes;
      tx += u.network->transmit_bytes;
    }
    read += u.block_read_bytes.value_or(0);
    write += u.block_write_bytes.value_or(0);
    pids += u.pids.value_or(0);
  }
  const auto active = static_cast<double>(snap.sandboxes.size());
  ordered_json body;
  body["pool_size"] = snap.sandboxes.size();
  body["max_containers"] = Num(snap.pool_max_containers);
  body["containers"] = ordered_json::array();
  ordered_json after;
  after["aggregate"] = {
      {"total_cpu_percent", RoundTwoDecimals(cpu)},
      {"active_containers", snap.sandboxes.size()},
      {"memory_used", BinarySize(memory)},
      {"memory_used_bytes", Num(memory)},
      {"network_input", DecimalSize(rx)},
      {"network_output", DecimalSize(tx)},
      {"network_input_bytes", Num(rx)},
      {"network_output_bytes", Num(tx)},
      {"block_read", DecimalSize(read)},
      {"block_write", DecimalSize(write)},
      {"block_read_bytes", Num(read)},
      {"block_write_bytes", Num(write)},
      {"pids", Num(pids)},  // a sum of engine figures (each up to 2^62) may exceed long long
      {"pool_used_percent", snap.pool_max_containers > 0
                                ? RoundTwoDecimals(active / snap.pool_max_containers * 100)
                                : 0.0}};
  after["collected_at"] = Rfc3339(snap.status.last_collect_timestamp_seconds);
  return JsonText(200, WithContainers(body, list, snap, after));
}

Answer Agent(const model::Snapshot& snap, const model::EvonicView* evonic,
             const std::string& agent_id) {
  std::string name = agent_id;
  bool enabled = true;
  if (evonic != nullptr) {
    auto it = evonic->agents.find(agent_id);
    if (it == evonic->agents.end()) return Error(404, "agent '" + agent_id + "' does not exist");
    name = it->second.name;
    enabled = it->second.sandbox_enabled;
    if (!enabled) {
      return Error(400, "agent '" + agent_id +
                            "' has the sandbox disabled: enable it in the agent's settings to run "
                            "its tools in a sandbox");
    }
  } else if (snap.known_agents == nullptr || snap.known_agents->count(agent_id) == 0) {
    return Error(404, "agent '" + agent_id +
                          "' has not had a sandbox since the exporter started (give "
                          "--evonic.root to know every agent)");
  }
  std::vector<const model::Sandbox*> list;
  for (const model::Sandbox& s : snap.sandboxes) {
    if (s.agent_id == agent_id) list.push_back(&s);
  }
  ordered_json body;
  body["agent_id"] = agent_id;
  body["agent_name"] = name;
  body["sandbox_enabled"] = enabled;
  body["active_containers"] = list.size();
  body["containers"] = ordered_json::array();
  ordered_json after;
  after["collected_at"] = Rfc3339(snap.status.last_collect_timestamp_seconds);
  return JsonText(200, WithContainers(body, list, snap, after));
}

}  // namespace

bool IsPlausibleAgentId(const std::string& id) {
  if (id.empty() || id.size() > 128 || id.find("..") != std::string::npos) return false;
  for (unsigned char c : id) {
    if (c == '/' || c == '%' || c == '\\' || c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

Answer RestAnswer(const Exposition& current, const std::string& path, double now_seconds) {
  const std::string prefix = kAgentsPrefix, suffix = kAgentSuffix;
  const bool pool = path == kPoolPath;
  const bool agent = !pool && path.size() > prefix.size() + suffix.size() &&
                     path.compare(0, prefix.size(), prefix) == 0 &&
                     path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0;
  if (!pool && !agent) return Error(404, "no such API path");
  std::string agent_id;
  if (agent) {
    agent_id = path.substr(prefix.size(), path.size() - prefix.size() - suffix.size());
    if (!IsPlausibleAgentId(agent_id)) return InvalidAgentId();
  }
  const model::Snapshot& snap = *current.snapshot;
  if (!IsFresh(snap, now_seconds)) {
    return Error(503,
                 "the Docker engine is unreachable or the last collection is stale; retry "
                 "shortly");
  }
  const model::EvonicView* evonic = snap.evonic.get();
  return agent ? Agent(snap, evonic, agent_id) : Pool(snap);
}

namespace {

// The sandbox and session counters a history point stands for, so that a point renders with the
// same code, keys and formats as a live container.
struct PointAsLive {
  model::Sandbox sandbox;
  model::EventsView events;
};

PointAsLive AsLive(const model::HistoryPoint& p) {
  PointAsLive out;
  model::Sandbox& s = out.sandbox;
  s.container_id = p.container_id;
  s.container_name = p.container_name;
  s.agent_id = p.agent_id;
  s.session_id = p.session_id;
  s.limits.memory_bytes = p.memory_limit_bytes;
  s.limits.pids = p.pids_limit;
  model::SandboxUsage u;
  if (p.cpu_percent) u.cpu_utilization_ratio = *p.cpu_percent / 100;
  u.memory_used_bytes = p.memory_used_bytes;
  if (p.network_input_bytes && p.network_output_bytes) {
    model::NetworkCounters n;
    n.receive_bytes = *p.network_input_bytes;
    n.transmit_bytes = *p.network_output_bytes;
    u.network = n;
  }
  u.block_read_bytes = p.block_read_bytes;
  u.block_write_bytes = p.block_write_bytes;
  u.pids = p.pids;
  s.usage = u;
  out.events.sessions[p.container_id] = p.events;
  return out;
}

ordered_json PointJson(const model::HistoryPoint& p) {
  const PointAsLive live = AsLive(p);
  ordered_json c = Container(live.sandbox, nullptr, &live.events);
  c.erase("external_user_id");  // personal data is not kept in the history
  c.erase("cpu_limit_cores");   // nor the CPU limit: null would say "unlimited"
  ordered_json out;
  out["time"] = Rfc3339(p.time_seconds);
  out["timestamp"] = Num(std::round(p.time_seconds * 1000) / 1000);
  for (auto& [key, value] : c.items()) out[key] = std::move(value);
  return out;
}

}  // namespace

bool IsHistoryPath(const std::string& path) {
  const std::string suffix = std::string(kAgentSuffix) + kHistorySuffix;
  return path.size() > suffix.size() &&
         path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0 &&
         (path == std::string(kPoolPath) + kHistorySuffix || path.rfind(kAgentsPrefix, 0) == 0);
}

Answer HistoryAnswer(const Exposition& current, const std::string& path,
                     const std::string& query_string, const HistorySource* source) {
  if (source == nullptr) {
    return Error(404, "history is off: start the exporter with --history.path=FILE to keep it");
  }
  const std::string pool_path = std::string(kPoolPath) + kHistorySuffix;
  const std::string suffix = std::string(kAgentSuffix) + kHistorySuffix;
  std::string agent_from_path;
  if (path != pool_path) {
    const std::size_t prefix = std::string(kAgentsPrefix).size();
    if (!IsHistoryPath(path) || path.size() <= prefix + suffix.size()) {
      return Error(404, "no such API path");
    }
    agent_from_path = path.substr(prefix, path.size() - prefix - suffix.size());
    if (!IsPlausibleAgentId(agent_from_path)) return InvalidAgentId();
  }
  std::string error;
  std::optional<model::HistoryQuery> query = ParseHistoryQuery(query_string, &error);
  if (!query) return Error(400, error);
  if (!agent_from_path.empty()) {
    if (!query->agent_id.empty() && query->agent_id != agent_from_path) {
      return Error(400, "agent_id is given by the path");
    }
    query->agent_id = agent_from_path;
    const model::Snapshot& snap = *current.snapshot;
    const bool known = snap.evonic != nullptr ? snap.evonic->agents.count(agent_from_path) > 0
                                              : snap.known_agents != nullptr &&
                                                    snap.known_agents->count(agent_from_path) > 0;
    if (!known && !source->has_agent(agent_from_path)) {
      return Error(404, "agent '" + agent_from_path + "' has no history and is not known");
    }
  }
  model::HistoryPage page;
  if (!source->read(*query, &page, &error)) {
    return Error(500, "the history file could not be read: " + error);
  }
  ordered_json body;
  if (!query->agent_id.empty()) body["agent_id"] = query->agent_id;
  if (!query->session_id.empty()) body["session_id"] = query->session_id;
  body["since"] = Rfc3339(query->since);
  body["until"] = query->until ? ordered_json(Rfc3339(*query->until)) : ordered_json(nullptr);
  body["count"] = page.points.size();
  if (page.more) body["next"] = std::to_string(page.points.back().id);
  body["points"] = ordered_json::array();
  std::string out = Dump(body);
  out.pop_back();  // "]}": the points are written one at a time, as WithContainers does
  out.pop_back();
  for (std::size_t i = 0; i < page.points.size(); ++i) {
    if (i > 0) out += ',';
    out += Dump(PointJson(page.points[i]));
  }
  out += "]}\n";
  return JsonText(200, std::move(out));
}

}  // namespace evonic::exporter
