#pragma once
// Per-agent alert thresholds as a value: a default and per-agent overrides of the CPU and memory
// ratios at which the alert rules fire. The exporter publishes the resolved value for every live
// agent as evonic_sandbox_alert_threshold_ratio{agent_id,resource}. Reading the file is
// exporter/alert_thresholds.h's concern.

#include <map>
#include <string>
#include <utility>

namespace evonic::model {

/// The resources a threshold exists for, as the `resource` label spells them.
inline constexpr const char* kThresholdResources[] = {"cpu", "memory"};

/// \brief One validated set of thresholds. Immutable once built: share it as
/// shared_ptr<const AlertThresholds> between threads.
class AlertThresholds {
 public:
  static constexpr double kBuiltInDefault = 0.9;
  using Ratios = std::map<std::string, double>;  // resource -> ratio

  /// Built-in defaults only (0.9 for every resource, no overrides).
  AlertThresholds() {
    for (const char* r : kThresholdResources) defaults_[r] = kBuiltInDefault;
  }
  /// `defaults` override the built-in ones resource by resource; `agents` by agent id.
  AlertThresholds(const Ratios& defaults, std::map<std::string, Ratios> agents)
      : AlertThresholds() {
    for (const auto& [resource, ratio] : defaults) defaults_[resource] = ratio;
    agents_ = std::move(agents);
  }

  /// The threshold of `resource` ("cpu" or "memory") for `agent_id`: the agent's override, else
  /// the default, else the built-in default.
  double For(const std::string& agent_id, const std::string& resource) const {
    auto agent = agents_.find(agent_id);
    if (agent != agents_.end()) {
      auto v = agent->second.find(resource);
      if (v != agent->second.end()) return v->second;
    }
    auto d = defaults_.find(resource);
    return d != defaults_.end() ? d->second : kBuiltInDefault;
  }

 private:
  Ratios defaults_;
  std::map<std::string, Ratios> agents_;
};

}  // namespace evonic::model
