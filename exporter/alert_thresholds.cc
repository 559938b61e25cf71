#include "exporter/alert_thresholds.h"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <fstream>
#include <sstream>
#include <utility>

namespace evonic::exporter {

namespace {

bool KnownResource(const std::string& name) {
  for (const char* r : kThresholdResources) {
    if (name == r) return true;
  }
  return false;
}

// Reads a {cpu: x, memory: y} map into `out`; `where` names it in errors.
bool ReadRatios(const YAML::Node& node, const std::string& where,
                std::map<std::string, double>& out, std::string* error) {
  if (!node.IsMap()) {
    *error = where + ": expected a map of resource: ratio (cpu, memory)";
    return false;
  }
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    if (!KnownResource(key)) {
      *error = where + ": unknown resource '" + key + "' (expected cpu or memory)";
      return false;
    }
    double v = 0;
    if (!kv.second.IsScalar() || !YAML::convert<double>::decode(kv.second, v) ||
        !std::isfinite(v) || v <= 0 || v > 1) {
      *error = where + "." + key + ": expected a ratio greater than 0 and at most 1 (0.9 = 90 %)";
      return false;
    }
    out[key] = v;
  }
  return true;
}

}  // namespace

AlertThresholds::AlertThresholds() {
  for (const char* r : kThresholdResources) defaults_[r] = kBuiltInDefault;
}

double AlertThresholds::For(const std::string& agent_id, const std::string& resource) const {
  auto agent = agents_.find(agent_id);
  if (agent != agents_.end()) {
    auto v = agent->second.find(resource);
    if (v != agent->second.end()) return v->second;
  }
  auto d = defaults_.find(resource);
  return d != defaults_.end() ? d->second : kBuiltInDefault;
}

std::shared_ptr<const AlertThresholds> AlertThresholds::Parse(const std::string& text,
                                                              const std::string& file,
                                                              std::string* error) {
  auto out = std::make_shared<AlertThresholds>();
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    *error = file + ": not valid YAML: " + e.what();
    return nullptr;
  }
  if (root.IsNull()) return out;  // an empty file: built-in defaults
  if (!root.IsMap()) {
    *error = file + ": expected a map with 'default' and/or 'agents'";
    return nullptr;
  }
  try {
    for (const auto& kv : root) {
      const std::string key = kv.first.as<std::string>();
      if (key == "default") {
        if (!ReadRatios(kv.second, file + ": default", out->defaults_, error)) return nullptr;
      } else if (key == "agents") {
        if (kv.second.IsNull()) continue;
        if (!kv.second.IsMap()) {
          *error = file + ": agents: expected a map of agent id: {cpu, memory}";
          return nullptr;
        }
        for (const auto& agent : kv.second) {
          const std::string id = agent.first.as<std::string>();
          if (id.empty()) {
            *error = file + ": agents: an agent id must not be empty";
            return nullptr;
          }
          if (!ReadRatios(agent.second, file + ": agents." + id, out->agents_[id], error)) {
            return nullptr;
          }
        }
      } else {
        *error = file + ": unknown key '" + key + "' (expected default or agents)";
        return nullptr;
      }
    }
  } catch (const YAML::Exception& e) {
    *error = file + ": " + e.what();
    return nullptr;
  }
  return out;
}

std::shared_ptr<const AlertThresholds> AlertThresholds::Load(const std::string& path,
                                                             std::string* error) {
  std::ifstream in(path);
  if (!in) {
    *error = path + ": cannot be read";
    return nullptr;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return Parse(text.str(), path, error);
}

AlertThresholdsStore::AlertThresholdsStore(std::string path,
                                           std::shared_ptr<const AlertThresholds> initial)
    : path_(std::move(path)),
      current_(initial ? std::move(initial) : std::make_shared<const AlertThresholds>()) {}

std::shared_ptr<const AlertThresholds> AlertThresholdsStore::Current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return current_;
}

bool AlertThresholdsStore::Reload(logging::Logger& log) {
  if (path_.empty()) return false;
  std::string error;
  auto loaded = AlertThresholds::Load(path_, &error);
  if (!loaded) {
    log.Error("thresholds reload failed, keeping the last good thresholds",
              {{"file", path_}, {"err", error}});
    return false;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    current_ = std::move(loaded);
  }
  log.Info("thresholds reloaded", {{"file", path_}});
  return true;
}

}  // namespace evonic::exporter
