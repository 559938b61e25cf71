#pragma once
// The one way the pipeline starts, wakes and stops a thread.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "collectors/docker/stop_signal.h"

namespace evonic::collectors {

/// \brief A thread with a stop flag and an interruptible sleep.
///
/// Start() runs `body` on a new thread once. Stop() sets the flag, wakes any sleep and joins;
/// the destructor stops too, so an owner declares its WorkerThread after everything the body
/// uses. Stop(), Wake() and stopping() are thread-safe; Sleep*() are for the body's thread.
class WorkerThread {
 public:
  enum class Woke { kDeadline, kWakeCalled, kStopping };

  WorkerThread() = default;
  ~WorkerThread() { Stop(); }
  WorkerThread(const WorkerThread&) = delete;
  WorkerThread& operator=(const WorkerThread&) = delete;

  void Start(std::function<void()> body) { thread_ = std::thread(std::move(body)); }

  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    stop_signal_.Raise();
    wake_.notify_all();
    if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
  }

  /// Ends the current or next sleep early (once).
  void Wake() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      woken_ = true;
    }
    wake_.notify_all();
  }

  bool stopping() const { return stopping_.load(); }
  /// For blocking calls that wait on a file descriptor (a streaming transfer): raised by Stop().
  const StopSignal& stop_signal() const { return stop_signal_; }

  /// Sleeps until `deadline`, a Wake() or Stop(), whichever comes first.
  Woke SleepUntil(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock<std::mutex> lock(mu_);
    wake_.wait_until(lock, deadline, [this] { return stopping_.load() || woken_; });
    if (stopping_) return Woke::kStopping;
    if (woken_) {
      woken_ = false;
      return Woke::kWakeCalled;
    }
    return Woke::kDeadline;
  }
  Woke SleepFor(std::chrono::steady_clock::duration d) {
    return SleepUntil(std::chrono::steady_clock::now() + d);
  }

 private:
  std::mutex mu_;
  std::condition_variable wake_;
  std::atomic<bool> stopping_{false};
  bool woken_ = false;
  StopSignal stop_signal_;
  std::thread thread_;
};

}  // namespace evonic::collectors
