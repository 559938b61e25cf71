#pragma once
// Takes the latest snapshot every --history.interval and appends its sandboxes to the history
// file, on a thread of its own: never on the render or scrape paths.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "collectors/pipeline/worker_thread.h"
#include "exporter/history/history_store.h"
#include "logging/logger.h"
#include "model/clock.h"
#include "model/history_point.h"
#include "model/snapshot.h"

namespace evonic::exporter {

/// The points a snapshot gives at `now`: one per sandbox, with the figures the live REST answer
/// shows (CPU % to two decimals, the memory limit docker stats shows). Pure.
std::vector<model::HistoryPoint> HistoryPointsOf(const model::Snapshot& snapshot, double now);

using model::HistoryCounts;

/// \brief Appends the newest snapshot's sandboxes to `store` every `interval`.
///
/// A snapshot that is not fresh (the engine away, no cycle since the last write) is not written:
/// the history holds measurements, never repeats of an old one. A failed write (a full disk) is
/// counted and logged once; the next success is logged too. Counts() is thread-safe; the
/// destructor stops the thread.
class HistoryWriter {
 public:
  using SnapshotSource = std::function<std::shared_ptr<const model::Snapshot>()>;
  HistoryWriter(HistoryStore& store, SnapshotSource latest, const model::Clock& clock,
                std::chrono::milliseconds interval, logging::Logger& log);
  ~HistoryWriter() { thread_.Stop(); }

  void Start();
  /// Stops the thread (a write in progress ends first); Counts() still answers.
  void Stop() { thread_.Stop(); }
  /// One write now, on the caller's thread (the thread's body, and tests).
  void WriteOnce();
  HistoryCounts Counts() const;

 private:
  HistoryStore& store_;
  SnapshotSource latest_;
  const model::Clock& clock_;
  std::chrono::milliseconds interval_;
  logging::Logger& log_;
  std::uint64_t last_generation_ = 0;  // the writer thread's own
  bool failing_ = false;               // the writer thread's own
  std::atomic<std::uint64_t> writes_{0}, points_{0}, errors_{0};
  std::atomic<double> last_write_{0};
  collectors::WorkerThread thread_;  // last: stopped before the rest goes
};

}  // namespace evonic::exporter
