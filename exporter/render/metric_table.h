#pragma once
// The metric contract: one declarative table lists every metric the exporter serves, with its
// help and type and where its values come from. Rendering and tests both read this table.

#include <prometheus/client_metric.h>
#include <prometheus/metric_type.h>

#include <optional>
#include <string>
#include <vector>

#include "exporter/render/session_label.h"
#include "model/alert_thresholds.h"
#include "model/auth_counts.h"
#include "model/connection_counts.h"
#include "model/history_point.h"
#include "model/process_stats.h"
#include "model/snapshot.h"

namespace evonic::exporter {

using model::AlertThresholds;
using model::ProcessStats;

/// Static facts about this build, for evonic_sandbox_exporter_build_info.
struct BuildInfo {
  std::string version;
  std::string revision;
};

/// Everything one rendering reads.
struct RenderInput {
  const model::Snapshot& snapshot;
  const ProcessStats& process;
  const BuildInfo& build;
  const SessionLabeler& labeler;  // the session_id and container_name label values
  // --thresholds.file; null: the built-in defaults.
  const AlertThresholds* thresholds = nullptr;
  // The web server's authentication counts; null: no server (tests), no such metrics.
  const model::AuthCounts* auth = nullptr;
  // The history writer's counts; null: history is off, no such metrics.
  const model::HistoryCounts* history = nullptr;
  // The connection gate's counts; null: no server (tests), no such metrics.
  const model::ConnectionCounts* connections = nullptr;
};

using Samples = std::vector<prometheus::ClientMetric>;

/// One metric family. Exactly one of `per_sandbox` (one sample per sandbox that has the value,
/// labelled agent_id and session_id) and `samples` (anything else) is set.
struct MetricDef {
  const char* name;
  const char* help;
  prometheus::MetricType type;
  std::optional<double> (*per_sandbox)(const model::Sandbox&);
  void (*samples)(const RenderInput&, Samples&);
};

/// The table, in exposition order.
const std::vector<MetricDef>& MetricTable();

/// The labels of every per-sandbox series, in order.
inline constexpr const char* kAgentLabel = "agent_id";
inline constexpr const char* kSessionLabel = "session_id";

}  // namespace evonic::exporter
