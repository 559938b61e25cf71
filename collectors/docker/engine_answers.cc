#include "collectors/docker/engine_answers.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "collectors/docker/json_fields.h"

namespace evonic::collectors {

namespace {
using nlohmann::json;

json ParseObject(std::string_view body, const char* what, std::string& error) {
  json root = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) {
    error = std::string(what) + " answer is not valid JSON";
  } else if (!root.is_object() && !root.is_array()) {
    error = std::string(what) + " answer has an unexpected JSON type";
  }
  return root;
}
}  // namespace

std::optional<ApiVersion> ApiVersion::Parse(const std::string& text) {
  int major = 0, minor = 0, consumed = 0;
  if (text.empty() || text.find_first_not_of("0123456789.") != std::string::npos) {
    return std::nullopt;
  }
  if (std::sscanf(text.c_str(), "%3d.%3d%n", &major, &minor, &consumed) != 2 ||
      static_cast<std::size_t>(consumed) != text.size() || major < 0 || minor < 0) {
    return std::nullopt;
  }
  return ApiVersion{major, minor};
}

std::string ApiVersion::ToString() const {
  return std::to_string(major) + "." + std::to_string(minor);
}

ApiVersion NegotiateApiVersion(const EngineVersion& engine) {
  ApiVersion v = engine.api < kNewestTestedApiVersion ? engine.api : kNewestTestedApiVersion;
  if (engine.min_api && v < *engine.min_api) v = *engine.min_api;
  return v;
}

Parsed<EngineVersion> ParseVersion(std::string_view body) {
  Parsed<EngineVersion> out;
  json root = ParseObject(body, "version", out.error);
  if (!out.error.empty()) return out;
  auto api = StringField(root, "ApiVersion");
  auto parsed = api ? ApiVersion::Parse(*api) : std::nullopt;
  if (!parsed) {
    out.error = "version answer has no usable ApiVersion";
    return out;
  }
  EngineVersion v;
  v.api = *parsed;
  if (auto min = StringField(root, "MinAPIVersion")) v.min_api = ApiVersion::Parse(*min);
  v.engine_version = StringField(root, "Version").value_or("");
  out.value = v;
  return out;
}

Parsed<std::vector<ContainerRef>> ParseContainerList(std::string_view body) {
  Parsed<std::vector<ContainerRef>> out;
  json root = ParseObject(body, "container list", out.error);
  if (!out.error.empty()) return out;
  if (!root.is_array()) {
    out.error = "container list answer is not a JSON array";
    return out;
  }
  std::vector<ContainerRef> list;
  for (const json& c : root) {
    auto id = StringField(c, "Id");
    if (!id || id->empty()) continue;  // unusable entry; the rest of the list still counts
    ContainerRef ref;
    ref.id = *id;
    if (const json* names = ArrayField(c, "Names");
        names != nullptr && !names->empty() && (*names)[0].is_string()) {
      ref.name = (*names)[0].get<std::string>();
      if (!ref.name.empty() && ref.name[0] == '/') ref.name.erase(0, 1);
    }
    ref.image = StringField(c, "Image").value_or("");
    if (const json* labels = ObjectField(c, "Labels")) {
      for (const auto& [k, v] : labels->items()) {
        if (v.is_string()) ref.labels.emplace(k, v.get<std::string>());
      }
    }
    list.push_back(std::move(ref));
  }
  out.value = std::move(list);
  return out;
}

Parsed<ContainerDetails> ParseInspect(std::string_view body) {
  Parsed<ContainerDetails> out;
  json root = ParseObject(body, "inspect", out.error);
  if (!out.error.empty()) return out;
  if (!root.is_object()) {
    out.error = "inspect answer is not a JSON object";
    return out;
  }
  ContainerDetails d;
  if (const json* config = ObjectField(root, "Config")) {
    d.image = StringField(*config, "Image").value_or("");
  }
  if (const json* host = ObjectField(root, "HostConfig")) {
    d.network_mode = StringField(*host, "NetworkMode").value_or("");
    d.cgroup_parent = StringField(*host, "CgroupParent").value_or("");
    // 0 and -1 mean unlimited; an absent limit is the honest value then.
    if (auto memory = IntField(*host, "Memory"); memory && *memory > 0) {
      d.limits.memory_bytes = static_cast<double>(*memory);
    }
    auto nano = IntField(*host, "NanoCpus");
    auto quota = IntField(*host, "CpuQuota");
    auto period = IntField(*host, "CpuPeriod");
    if (nano && *nano > 0) {
      d.limits.cpu_cores = static_cast<double>(*nano) / 1e9;
    } else if (quota && *quota > 0) {
      // The kernel's default CFS period is 100 ms when none was set.
      double p = period && *period > 0 ? static_cast<double>(*period) : 100000.0;
      d.limits.cpu_cores = static_cast<double>(*quota) / p;
    }
    if (auto pids = IntField(*host, "PidsLimit"); pids && *pids > 0) {
      d.limits.pids = static_cast<double>(*pids);
    }
  }
  if (const json* state = ObjectField(root, "State")) {
    if (auto started = StringField(*state, "StartedAt")) {
      d.start_time_seconds = ParseRfc3339(*started);
    }
    if (auto pid = IntField(*state, "Pid"); pid && *pid > 0) d.pid = pid;
  }
  out.value = d;
  return out;
}

Parsed<EngineInfo> ParseInfo(std::string_view body) {
  Parsed<EngineInfo> out;
  json root = ParseObject(body, "info", out.error);
  if (!out.error.empty()) return out;
  if (!root.is_object()) {
    out.error = "info answer is not a JSON object";
    return out;
  }
  EngineInfo info;
  info.cgroup_driver = StringField(root, "CgroupDriver").value_or("");
  info.cgroup_version = StringField(root, "CgroupVersion").value_or("");
  out.value = info;
  return out;
}

std::string EngineErrorMessage(std::string_view body) {
  json root = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (auto message = StringField(root, "message")) return *message;
  constexpr std::size_t kMax = 200;
  std::string text(body.substr(0, kMax));
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

}  // namespace evonic::collectors
