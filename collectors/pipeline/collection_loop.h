#pragma once
// The periodic driver: runs collection cycles back to back at a fixed interval, never overlapping,
// and hands each finished stats Snapshot to a sink.

#include <chrono>
#include <functional>
#include <memory>

#include "collectors/identity/sandbox_builder.h"
#include "collectors/pipeline/sandbox_collector.h"
#include "collectors/pipeline/worker_thread.h"
#include "model/clock.h"
#include "model/snapshot.h"

namespace evonic::collectors {

/// \brief Runs SandboxCollector::Collect() every `interval` on its own thread.
///
/// Before each cycle it has the SandboxBuilder re-read Evonic's database. A cycle that outruns
/// the interval is counted as an overrun and the next starts as soon as it ends; cycles never
/// overlap. Each cycle's result becomes a stats Snapshot (no generation: the composer numbers what
/// it publishes) passed to `sink` on the loop's thread. Start() and Stop() are for the owning
/// thread; Stop() (also run by the destructor) wakes the loop and joins it, waiting at most for
/// the cycle in progress. RequestEarlyCycle() is thread-safe.
class CollectionLoop {
 public:
  using Sink = std::function<void(std::shared_ptr<const model::Snapshot>)>;
  struct Options {
    std::chrono::milliseconds interval{5000};
    double pool_max_containers = 10;
    bool pool_max_from_flag = false;  // else Evonic's SANDBOX_MAX_CONTAINERS wins when known
  };

  CollectionLoop(SandboxCollector& collector, SandboxBuilder& builder, Options options,
                 const model::Clock& clock, Sink sink);
  ~CollectionLoop() { Stop(); }
  CollectionLoop(const CollectionLoop&) = delete;
  CollectionLoop& operator=(const CollectionLoop&) = delete;

  void Start();
  void Stop() { worker_.Stop(); }
  /// Starts the next cycle now (or right after the one in progress) instead of at its time; the
  /// schedule then continues from that cycle. Never blocks.
  void RequestEarlyCycle() { worker_.Wake(); }

  /// Runs one cycle on the caller's thread and returns its snapshot (also given to the sink).
  /// For tests and for the loop itself; never call while the loop thread runs.
  std::shared_ptr<const model::Snapshot> RunOnce();

 private:
  void Run();

  SandboxCollector& collector_;
  SandboxBuilder& builder_;
  Options options_;
  const model::Clock& clock_;
  Sink sink_;
  double errors_total_ = 0;
  double overruns_total_ = 0;
  WorkerThread worker_;  // last: stopped before the members its thread uses go
};

}  // namespace evonic::collectors
