#pragma once
// The periodic driver: runs collection cycles back to back at a fixed interval, never overlapping,
// and hands each finished Snapshot to a sink.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "collectors/pipeline/sandbox_collector.h"
#include "model/snapshot.h"

namespace evonic::collectors {

/// \brief Runs SandboxCollector::Collect() every `interval` on its own thread.
///
/// A cycle that outruns the interval is counted as an overrun and the next starts as soon as it
/// ends; cycles never overlap. Each cycle's result becomes a new Snapshot (generation + 1) passed
/// to `sink` on the loop's thread. Start() and Stop() are for the owning thread; Stop() (also run
/// by the destructor) wakes the loop and joins it, waiting at most for the cycle in progress.
class CollectionLoop {
 public:
  using Sink = std::function<void(std::shared_ptr<const model::Snapshot>)>;
  /// Gives Evonic's current view at the start of each cycle, on the loop's thread.
  using EvonicSource = std::function<std::shared_ptr<const model::EvonicView>()>;
  struct Options {
    std::chrono::milliseconds interval{5000};
    double pool_max_containers = 10;
    bool pool_max_from_flag = false;  // else Evonic's SANDBOX_MAX_CONTAINERS wins when known
    EvonicSource evonic;              // empty: no database
  };

  CollectionLoop(SandboxCollector& collector, Options options, Sink sink);
  ~CollectionLoop();
  CollectionLoop(const CollectionLoop&) = delete;
  CollectionLoop& operator=(const CollectionLoop&) = delete;

  void Start();
  void Stop();
  /// Starts the next cycle now (or right after the one in progress) instead of at its time; the
  /// schedule then continues from that cycle. Thread-safe; never blocks.
  void RequestEarlyCycle();

  /// Runs one cycle on the caller's thread and returns its snapshot (also given to the sink).
  /// For tests and for the loop itself; never call while the loop thread runs.
  std::shared_ptr<const model::Snapshot> RunOnce();

 private:
  void Run();

  SandboxCollector& collector_;
  Options options_;
  Sink sink_;
  std::uint64_t generation_ = 0;
  std::shared_ptr<const std::set<std::string>> known_agents_;
  double errors_total_ = 0;
  double overruns_total_ = 0;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool early_ = false;
  std::thread thread_;
};

}  // namespace evonic::collectors
