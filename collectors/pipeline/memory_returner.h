#pragma once
// glibc's malloc keeps freed memory for reuse: the free pages inside each heap stay resident.
// For a server whose live data is a few MiB, that retained memory is a large part of its RSS: at
// 100 sandboxes, after /metrics and REST load, malloc_stats() showed 6.6 MB of heap holding
// 3.0 MB in use; malloc_trim(0) brought RSS from 21.6 to 18.8 MiB.
//
// The number of arenas is left at glibc's default on purpose: one shared arena (M_ARENA_MAX=1)
// lowered the peak at 100 sandboxes by 1.3 MiB, but made the event stream's reader and processor
// threads share a heap, and 1.2 million replayed events then left RSS 11-22 MiB higher
// (tests/integration/test_events.py, test_memory_flat) where it stays flat with separate arenas.

#include <chrono>
#include <mutex>

namespace evonic::collectors {

/// \brief The one place that returns free heap pages to the kernel (malloc_trim): after a
/// snapshot is rendered, at most once per `min_gap` so that event bursts do not trim on every
/// event, and at once after the events processor worked off a large backlog. Thread-safe.
class FreeMemoryReturner {
 public:
  explicit FreeMemoryReturner(std::chrono::milliseconds min_gap) : min_gap_(min_gap) {}
  /// After a publication: trims unless the last trim is less than `min_gap` ago.
  void AfterPublish();
  /// After a burst that is over: trims now.
  void AfterBurst();

 private:
  const std::chrono::milliseconds min_gap_;
  std::mutex mu_;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace evonic::collectors
