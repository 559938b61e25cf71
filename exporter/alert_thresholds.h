#pragma once
// Per-agent alert thresholds (--thresholds.file): a default and per-agent overrides of the CPU and
// memory ratios at which the alert rules fire. The exporter publishes the resolved value for every
// live agent as evonic_sandbox_alert_threshold_ratio{agent_id,resource}, and the rules join it with
// `on(agent_id) group_left`, so operators change a threshold without touching the rules.
//
// File format (YAML; JSON is YAML too):
//   default:              # optional; a missing resource keeps the built-in 0.9
//     cpu: 0.9            # ratio of the sandbox's CPU limit, 0 < value <= 1
//     memory: 0.9         # ratio of the sandbox's memory limit, 0 < value <= 1
//   agents:               # optional; per agent id, either resource may be left out
//     build-agent:
//       cpu: 0.98

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "logging/logger.h"

namespace evonic::exporter {

/// The resources a threshold exists for, as the `resource` label spells them.
inline constexpr const char* kThresholdResources[] = {"cpu", "memory"};

/// \brief One parsed, validated set of thresholds. Immutable once built: share it as
/// shared_ptr<const AlertThresholds> between threads.
class AlertThresholds {
 public:
  static constexpr double kBuiltInDefault = 0.9;

  /// Built-in defaults only (0.9 for every resource, no overrides).
  AlertThresholds();

  /// The threshold of `resource` ("cpu" or "memory") for `agent_id`: the agent's override, else
  /// the file's default, else the built-in default.
  double For(const std::string& agent_id, const std::string& resource) const;

  /// Parses YAML (or JSON) text; `file` names the source in errors. nullptr and `error` set
  /// (naming the file, the key and the problem) when anything is unknown or out of range.
  static std::shared_ptr<const AlertThresholds> Parse(const std::string& text,
                                                      const std::string& file, std::string* error);

  /// Reads and parses `path`.
  static std::shared_ptr<const AlertThresholds> Load(const std::string& path, std::string* error);

 private:
  std::map<std::string, double> defaults_;                       // resource -> ratio
  std::map<std::string, std::map<std::string, double>> agents_;  // agent -> resource -> ratio
};

/// \brief The thresholds in force, replaced as a whole on reload. A reload that fails keeps the
/// last good thresholds and logs the problem once per failed reload. Current() and Reload() may
/// be called from any thread: the class is thread-safe.
class AlertThresholdsStore {
 public:
  /// `path` empty: built-in defaults, and Reload() does nothing.
  AlertThresholdsStore(std::string path, std::shared_ptr<const AlertThresholds> initial);

  std::shared_ptr<const AlertThresholds> Current() const;

  /// Re-reads the file. True when the new thresholds are in force.
  bool Reload(logging::Logger& log);

 private:
  const std::string path_;
  mutable std::mutex mu_;
  std::shared_ptr<const AlertThresholds> current_;
};

}  // namespace evonic::exporter
