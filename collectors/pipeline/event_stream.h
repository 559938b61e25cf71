#pragma once
// Following the engine's event stream: a reader thread that only reads and queues.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "collectors/docker/engine_api.h"
#include "collectors/pipeline/worker_thread.h"
#include "model/clock.h"
#include "model/snapshot.h"

namespace evonic::collectors {

/// One item between the reader and the processor.
struct StreamItem {
  enum class Kind { kLine, kConnected, kDisconnected, kCrossCheck };
  Kind kind = Kind::kLine;
  std::string text;                              // the line, or why the stream ended
  std::shared_ptr<const model::Snapshot> stats;  // kCrossCheck
};

/// \brief A bounded FIFO of StreamItems. Lines beyond `capacity` are dropped (and counted);
/// other items are always queued. The class is thread-safe.
class StreamQueue {
 public:
  explicit StreamQueue(std::size_t capacity) : capacity_(capacity) {}
  void Push(StreamItem item);
  /// Waits until an item is there or `deadline`; nullopt at the deadline or after Close().
  std::optional<StreamItem> Pop(std::chrono::steady_clock::time_point deadline);
  void Close();
  bool closed() {
    std::lock_guard<std::mutex> lock(mu_);
    return closed_;
  }
  std::size_t lines() {
    std::lock_guard<std::mutex> lock(mu_);
    return lines_;
  }
  std::uint64_t dropped() const { return dropped_.load(); }

 private:
  const std::size_t capacity_;
  std::mutex mu_;
  std::condition_variable ready_;
  std::deque<StreamItem> items_;
  std::size_t lines_ = 0;
  bool closed_ = false;
  std::atomic<std::uint64_t> dropped_{0};
};

/// \brief Follows the engine's event stream (EngineApi::FollowEvents, containers with the sandbox
/// label) on its own thread and queues each complete line. It never parses or waits on anything
/// but the engine, so the engine never drops it as a slow reader.
///
/// A quiet engine sends nothing (no keep-alive): the reader then just waits. When the stream ends
/// or breaks it queues kDisconnected, waits a capped exponential backoff and reconnects with
/// `since=` the time `since_nano()` gives (the processor's last event; 0: when this object was
/// made). Start() and Stop() are for the owning thread; Stop() aborts the transfer and joins.
class EventStream {
 public:
  struct Options {
    std::string label_filter = "evonic.managed=1";
    std::chrono::milliseconds backoff_initial{100};
    std::chrono::milliseconds backoff_max{10000};
  };
  EventStream(EngineApi& engine, Options options, StreamQueue& queue,
              std::function<std::int64_t()> since_nano, const model::Clock& clock);

  void Start();
  void Stop();

 private:
  void Run();

  EngineApi& engine_;
  Options options_;
  StreamQueue& queue_;
  std::function<std::int64_t()> since_nano_;
  const std::int64_t started_nano_;
  WorkerThread worker_;
};

}  // namespace evonic::collectors
