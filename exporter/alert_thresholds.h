#pragma once
// Per-agent alert thresholds (--thresholds.file): reading and validating the file, and the
// thresholds in force, replaced as a whole on SIGHUP. The rules join the published ratios with
// `on(instance, agent_id) group_left`, so operators change a threshold without touching the rules.
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
#include "model/alert_thresholds.h"

namespace evonic::exporter {

using model::AlertThresholds;

/// Parses YAML (or JSON) text; `file` names the source in errors. nullptr and `error` set (naming
/// the file, the key and the problem) when anything is unknown or out of range.
std::shared_ptr<const AlertThresholds> ParseAlertThresholds(const std::string& text,
                                                            const std::string& file,
                                                            std::string* error);

/// Reads and parses `path`.
std::shared_ptr<const AlertThresholds> LoadAlertThresholds(const std::string& path,
                                                           std::string* error);

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
