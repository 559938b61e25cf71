#pragma once
// Latest<T>: the one place where a producer hands an immutable value to many readers.

#include <memory>
#include <mutex>
#include <utility>

namespace evonic::model {

/// \brief Holds the most recently published immutable T.
///
/// Publish() replaces the value atomically; Get() returns a shared pointer that stays valid and
/// unchanged however many times Publish() runs afterwards. Readers never see a half-built value
/// and never wait for a producer beyond the copy of one pointer. The class is thread-safe.
template <typename T>
class Latest {
 public:
  explicit Latest(std::shared_ptr<const T> initial) : value_(std::move(initial)) {}
  Latest(const Latest&) = delete;
  Latest& operator=(const Latest&) = delete;

  void Publish(std::shared_ptr<const T> next) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      value_.swap(next);
    }
    // `next` now holds the previous value: it is freed here, outside the lock, so readers never
    // wait for a large snapshot's destruction.
  }

  std::shared_ptr<const T> Get() const {
    std::lock_guard<std::mutex> lock(mu_);
    return value_;
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const T> value_;
};

}  // namespace evonic::model
