#pragma once
// BcryptGate: caps how many bcrypt computations run at once.

#include <atomic>

namespace evonic::exporter {

/// \brief A counting semaphore that never waits.
///
/// TryEnter() takes a slot if one is free and otherwise fails at once: a flood of wrong passwords
/// then costs at most `slots` CPU cores and never queues CivetWeb's workers behind bcrypt, so
/// requests that need no bcrypt (public pages, cached credentials) keep being answered. The
/// class is thread-safe; a Pass gives its slot back when destroyed.
class BcryptGate {
 public:
  explicit BcryptGate(int slots) : free_(slots) {}
  BcryptGate(const BcryptGate&) = delete;
  BcryptGate& operator=(const BcryptGate&) = delete;

  class Pass {
   public:
    Pass(Pass&& other) noexcept : gate_(other.gate_) { other.gate_ = nullptr; }
    Pass(const Pass&) = delete;
    Pass& operator=(const Pass&) = delete;
    Pass& operator=(Pass&&) = delete;
    ~Pass() {
      if (gate_ != nullptr) gate_->free_.fetch_add(1, std::memory_order_release);
    }
    explicit operator bool() const { return gate_ != nullptr; }

   private:
    friend class BcryptGate;
    explicit Pass(BcryptGate* gate) : gate_(gate) {}
    BcryptGate* gate_;
  };

  /// A Pass that converts to true when a slot was taken.
  Pass TryEnter() {
    int n = free_.load(std::memory_order_relaxed);
    while (n > 0) {
      if (free_.compare_exchange_weak(n, n - 1, std::memory_order_acquire)) return Pass(this);
    }
    return Pass(nullptr);
  }

 private:
  std::atomic<int> free_;
};

}  // namespace evonic::exporter
