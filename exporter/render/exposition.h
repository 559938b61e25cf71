#pragma once
// Turns a Snapshot into the Prometheus text exposition, once per snapshot, and keeps it with the
// snapshot so that every scrape of that snapshot is served the same bytes without re-rendering.

#include <memory>
#include <string>
#include <vector>

#include "exporter/render/metric_table.h"
#include "model/snapshot.h"

namespace evonic::exporter {

/// A published snapshot with its rendered exposition (plain and gzip). Immutable.
struct Exposition {
  std::shared_ptr<const model::Snapshot> snapshot;
  std::string text;
  std::string gzip;
};

/// The text exposition of `input`: MetricTable() in order, families without samples left out, no
/// timestamps, byte for byte what prometheus-cpp's TextSerializer writes of the same table's
/// families (tests/unit/exposition_test.cc holds the two equal).
std::string ExpositionText(const RenderInput& input);

/// Renders the snapshot (with process figures and authentication counts read now) into text and
/// gzip. Null `thresholds`: the built-in defaults; null `auth`: no authentication metrics; null
/// `history`: no history metrics; null `connections`: no connection metrics.
std::shared_ptr<const Exposition> Render(std::shared_ptr<const model::Snapshot> snapshot,
                                         const ProcessStats& process, const BuildInfo& build,
                                         const SessionLabeler& labeler = SessionLabeler(),
                                         const AlertThresholds* thresholds = nullptr,
                                         const model::AuthCounts* auth = nullptr,
                                         const model::HistoryCounts* history = nullptr,
                                         const model::ConnectionCounts* connections = nullptr);

/// gzip (RFC 1952) of `data`. Empty on the (memory) failure of zlib.
std::string Gzip(const std::string& data);

}  // namespace evonic::exporter
