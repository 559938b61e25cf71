#include "collectors/pipeline/render_thread.h"

#include <utility>

namespace evonic::collectors {

RenderThread::RenderThread(std::chrono::milliseconds coalesce, FreeMemoryReturner& memory,
                           Render render)
    : coalesce_(coalesce), memory_(memory), render_(std::move(render)) {}

void RenderThread::Start() {
  worker_.Start([this] { Run(); });
}

void RenderThread::Offer(std::shared_ptr<const model::Snapshot> snapshot,
                         SnapshotComposer::Cause cause) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!pending_) first_offer_ = std::chrono::steady_clock::now();
    pending_ = std::move(snapshot);
    if (cause == SnapshotComposer::Cause::kStats) pending_stats_ = true;
  }
  worker_.Wake();
}

std::uint64_t RenderThread::renders() const {
  std::lock_guard<std::mutex> lock(mu_);
  return renders_;
}

void RenderThread::Run() {
  for (;;) {
    std::shared_ptr<const model::Snapshot> next;
    auto due = std::chrono::steady_clock::now() + std::chrono::hours(1);  // nothing pending
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (pending_) {
        due = pending_stats_ ? std::chrono::steady_clock::now() : first_offer_ + coalesce_;
        if (due <= std::chrono::steady_clock::now()) {
          next = std::move(pending_);
          pending_.reset();
          pending_stats_ = false;
        }
      }
    }
    if (!next) {
      if (worker_.SleepUntil(due) == WorkerThread::Woke::kStopping) return;
      continue;  // an offer, or the window ended: look again
    }
    render_(std::move(next));  // the previous rendering is freed by its last reader
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++renders_;
    }
    memory_.AfterPublish();
    if (worker_.stopping()) return;
  }
}

}  // namespace evonic::collectors
