#pragma once
// Following the engine's GET /events: a reader thread that only reads and queues.

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

#include "collectors/docker/docker_client.h"
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

/// \brief Reads GET /vX.Y/events (filtered to containers with the sandbox label) on its own
/// connection and thread, and queues each complete line. It never parses or waits on anything
/// but the engine, so the engine never drops it as a slow reader.
///
/// A quiet engine sends nothing (no keep-alive): the reader then just waits, with no read
/// timeout (TCP keep-alive probes find a dead peer). When the stream ends or breaks (a partial
/// last line is discarded) it queues kDisconnected, waits a capped exponential backoff and
/// reconnects with `since=` the time `since_nano()` gives (the processor's last event). Start()
/// and Stop() are for the owning thread; Stop() aborts the transfer and joins.
class EventStream {
 public:
  struct Options {
    DockerClient::Options client;  // endpoint and connect timeout
    std::string label_filter = "evonic.managed=1";
    std::chrono::milliseconds backoff_initial{100};
    std::chrono::milliseconds backoff_max{10000};
    std::size_t max_line_bytes = 1u << 20;
  };
  /// `since_nano` gives the resume point (0: the stream's start time).
  EventStream(Options options, StreamQueue& queue, std::function<std::int64_t()> since_nano);
  ~EventStream();
  EventStream(const EventStream&) = delete;
  EventStream& operator=(const EventStream&) = delete;

  void Start();
  void Stop();

 private:
  void Run();
  /// One connection: true when it reached HTTP 200.
  bool Follow(const std::string& path, std::string* why);

  Options options_;
  StreamQueue& queue_;
  std::function<std::int64_t()> since_nano_;
  const std::int64_t started_nano_;
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::condition_variable wake_;
  std::thread thread_;
};

/// "<seconds>.<9 digits>" as the engine's `since` takes it.
std::string SinceParameter(std::int64_t time_nano);

}  // namespace evonic::collectors
