#pragma once
// What the events processor tells the stats cycle about the set of sandboxes, so that the cycle
// need not ask the engine for its container list while nothing can have changed.

#include <atomic>
#include <cstdint>

namespace evonic::collectors {

/// \brief Whether the engine's event stream is being followed, and a count that moves whenever
/// the set of containers may have changed: a lifecycle event (anything but exec_*), the stream
/// connecting or breaking, a line dropped by a full queue. The stats cycle reuses its last list
/// while the stream is followed and the count stands still (SandboxCollector). Thread-safe.
class ContainerSetWatch {
 public:
  void SetFollowing(bool following) {
    following_.store(following);
    changes_.fetch_add(1);
  }
  void Changed() { changes_.fetch_add(1); }
  bool following() const { return following_.load(); }
  std::uint64_t changes() const { return changes_.load(); }

 private:
  std::atomic<bool> following_{false};
  std::atomic<std::uint64_t> changes_{0};
};

}  // namespace evonic::collectors
