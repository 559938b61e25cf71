#pragma once
// The one thread that renders published snapshots, so that no producer (the stats cycle, the
// events processor) ever waits for a render, and a burst of event-driven snapshots costs one.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>

#include "collectors/pipeline/memory_returner.h"
#include "collectors/pipeline/snapshot_composer.h"
#include "collectors/pipeline/worker_thread.h"
#include "model/snapshot.h"

namespace evonic::collectors {

/// \brief Renders the newest offered snapshot on its own thread.
///
/// Only the newest offer is kept: an offer replaces one not yet rendered. A stats snapshot is
/// rendered at once (scrapes want each cycle's figures as soon as they exist); an event-driven
/// one waits until `coalesce` after the first offer not yet rendered, so a burst of events within
/// that window gives one render, of the newest snapshot. After each render, free heap pages go
/// back to the kernel (FreeMemoryReturner). Offer() is thread-safe and never blocks on a render;
/// Start() and Stop() are for the owning thread.
class RenderThread {
 public:
  using Render = std::function<void(std::shared_ptr<const model::Snapshot>)>;
  RenderThread(std::chrono::milliseconds coalesce, FreeMemoryReturner& memory, Render render);
  ~RenderThread() { Stop(); }

  void Offer(std::shared_ptr<const model::Snapshot> snapshot, SnapshotComposer::Cause cause);
  void Start();
  void Stop() { worker_.Stop(); }
  /// Renders done so far.
  std::uint64_t renders() const;

 private:
  void Run();

  const std::chrono::milliseconds coalesce_;
  FreeMemoryReturner& memory_;
  Render render_;
  mutable std::mutex mu_;  // guards the fields below
  std::shared_ptr<const model::Snapshot> pending_;
  bool pending_stats_ = false;
  std::chrono::steady_clock::time_point first_offer_{};
  std::uint64_t renders_ = 0;
  WorkerThread worker_;  // last: stopped before the members its thread uses go
};

}  // namespace evonic::collectors
