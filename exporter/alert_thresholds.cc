#include "exporter/alert_thresholds.h"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <utility>

#include "logging/small_file.h"

namespace evonic::exporter {

namespace {

bool KnownResource(const std::string& name) {
  for (const char* r : model::kThresholdResources) {
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

std::shared_ptr<const AlertThresholds> ParseAlertThresholds(const std::string& text,
                                                            const std::string& file,
                                                            std::string* error) {
  AlertThresholds::Ratios defaults;
  std::map<std::string, AlertThresholds::Ratios> agents;
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    *error = file + ": not valid YAML: " + e.what();
    return nullptr;
  }
  if (root.IsNull())
    return std::make_shared<const AlertThresholds>();  // an empty file: built-in defaults
  if (!root.IsMap()) {
    *error = file + ": expected a map with 'default' and/or 'agents'";
    return nullptr;
  }
  try {
    for (const auto& kv : root) {
      const std::string key = kv.first.as<std::string>();
      if (key == "default") {
        if (!ReadRatios(kv.second, file + ": default", defaults, error)) return nullptr;
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
          if (!ReadRatios(agent.second, file + ": agents." + id, agents[id], error)) {
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
  return std::make_shared<const AlertThresholds>(defaults, std::move(agents));
}

std::shared_ptr<const AlertThresholds> LoadAlertThresholds(const std::string& path,
                                                           std::string* error) {
  std::optional<std::string> text = logging::ReadSmallFile(path, error);
  if (!text) return nullptr;
  return ParseAlertThresholds(*text, path, error);
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
  std::shared_ptr<const AlertThresholds> loaded;
  try {  // a running exporter must survive any file, whatever a parser throws
    loaded = LoadAlertThresholds(path_, &error);
  } catch (const std::exception& e) {
    error = path_ + ": " + e.what();
  }
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
