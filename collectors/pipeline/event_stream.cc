#include "collectors/pipeline/event_stream.h"

#include <algorithm>
#include <utility>

namespace evonic::collectors {

void StreamQueue::Push(StreamItem item) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (item.kind == StreamItem::Kind::kLine) {
      if (lines_ >= capacity_) {
        ++dropped_;
        return;
      }
      ++lines_;
    }
    items_.push_back(std::move(item));
  }
  ready_.notify_one();
}

std::optional<StreamItem> StreamQueue::Pop(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  ready_.wait_until(lock, deadline, [this] { return closed_ || !items_.empty(); });
  if (closed_ || items_.empty()) return std::nullopt;
  StreamItem item = std::move(items_.front());
  items_.pop_front();
  if (item.kind == StreamItem::Kind::kLine) --lines_;
  return item;
}

void StreamQueue::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
  }
  ready_.notify_all();
}

EventStream::EventStream(EngineApi& engine, Options options, StreamQueue& queue,
                         std::function<std::int64_t()> since_nano, const model::Clock& clock)
    : engine_(engine),
      options_(std::move(options)),
      queue_(queue),
      since_nano_(std::move(since_nano)),
      started_nano_(clock.NowNano()) {}

void EventStream::Start() {
  worker_.Start([this] { Run(); });
}

void EventStream::Stop() { worker_.Stop(); }

void EventStream::Run() {
  auto backoff = options_.backoff_initial;
  EventStreamSink sink;
  sink.connected = [this] { queue_.Push({StreamItem::Kind::kConnected, "", nullptr}); };
  sink.line = [this](std::string&& line) {
    queue_.Push({StreamItem::Kind::kLine, std::move(line), nullptr});
  };
  while (!worker_.stopping()) {
    auto began = std::chrono::steady_clock::now();
    std::int64_t since = since_nano_();
    if (since <= 0) since = started_nano_;
    EventStreamEnd end =
        engine_.FollowEvents(options_.label_filter, since, sink, worker_.stop_signal());
    if (worker_.stopping()) break;
    queue_.Push({StreamItem::Kind::kDisconnected, end.why, nullptr});
    // A connection that lived a while resets the backoff; failures in a row double it.
    if (end.reached && std::chrono::steady_clock::now() - began > std::chrono::seconds(5)) {
      backoff = options_.backoff_initial;
    }
    worker_.SleepFor(backoff);
    backoff = std::min(backoff * 2, options_.backoff_max);
  }
}

}  // namespace evonic::collectors
