#pragma once
// A stop request that a blocking call can both check and wait on.

#include <atomic>

namespace evonic::collectors {

/// \brief A one-way flag with a file descriptor that becomes readable when it is raised, so that a
/// thread blocked in poll() (a streaming transfer that may stay quiet for hours) wakes at once
/// instead of checking the flag on a timer.
///
/// Raise() and raised() are thread-safe; fd() is valid for the object's lifetime, or -1 when the
/// kernel refused an eventfd (callers then check raised() on a short timer).
class StopSignal {
 public:
  StopSignal();
  ~StopSignal();
  StopSignal(const StopSignal&) = delete;
  StopSignal& operator=(const StopSignal&) = delete;

  void Raise();
  bool raised() const { return raised_.load(); }
  int fd() const { return fd_; }

 private:
  std::atomic<bool> raised_{false};
  int fd_ = -1;
};

}  // namespace evonic::collectors
