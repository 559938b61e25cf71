#pragma once
// The one way the exporter reads the wall clock, so that tests can set the time.

#include <atomic>
#include <chrono>
#include <cstdint>

namespace evonic::model {

/// \brief Wall-clock time (seconds since the Unix epoch). Waiting and scheduling use
/// std::chrono::steady_clock directly; this is only for times that are stored, compared with the
/// engine's or shown. Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual double NowSeconds() const = 0;
  std::int64_t NowNano() const { return static_cast<std::int64_t>(NowSeconds() * 1e9); }
};

/// The system's clock.
class SystemClock final : public Clock {
 public:
  double NowSeconds() const override {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

/// A clock that stands still until told otherwise, for tests.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(double seconds) : now_(seconds) {}
  double NowSeconds() const override { return now_.load(); }
  void Set(double seconds) { now_ = seconds; }
  void Advance(double seconds) { now_ = now_.load() + seconds; }

 private:
  std::atomic<double> now_;
};

}  // namespace evonic::model
