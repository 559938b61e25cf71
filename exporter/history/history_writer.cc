#include "exporter/history/history_writer.h"

#include <cmath>
#include <string>

#include "model/freshness.h"

namespace evonic::exporter {

std::vector<model::HistoryPoint> HistoryPointsOf(const model::Snapshot& snapshot, double now) {
  std::vector<model::HistoryPoint> points;
  points.reserve(snapshot.sandboxes.size());
  for (const model::Sandbox& s : snapshot.sandboxes) {
    model::HistoryPoint p;
    p.time_seconds = now;
    p.agent_id = s.agent_id;
    p.session_id = s.session_id;
    p.container_id = s.container_id;
    p.container_name = s.container_name;
    if (const model::SandboxUsage* u = s.usage ? &*s.usage : nullptr) {
      if (u->cpu_utilization_ratio) {
        p.cpu_percent = std::round(*u->cpu_utilization_ratio * 100 * 100) / 100;
      }
      p.memory_used_bytes = u->memory_used_bytes;
      p.memory_limit_bytes = u->memory_limit_bytes;
      if (u->network) {
        p.network_input_bytes = u->network->receive_bytes;
        p.network_output_bytes = u->network->transmit_bytes;
      }
      p.block_read_bytes = u->block_read_bytes;
      p.block_write_bytes = u->block_write_bytes;
      p.pids = u->pids;
    }
    if (s.limits.memory_bytes) p.memory_limit_bytes = s.limits.memory_bytes;  // as docker stats
    p.pids_limit = s.limits.pids;
    if (snapshot.events) {
      auto it = snapshot.events->sessions.find(s.container_id);
      if (it != snapshot.events->sessions.end()) p.events = it->second;
    }
    points.push_back(std::move(p));
  }
  return points;
}

HistoryWriter::HistoryWriter(HistoryStore& store, SnapshotSource latest, const model::Clock& clock,
                             std::chrono::milliseconds interval, logging::Logger& log)
    : store_(store), latest_(std::move(latest)), clock_(clock), interval_(interval), log_(log) {}

void HistoryWriter::Start() {
  thread_.Start([this] {
    auto next = std::chrono::steady_clock::now() + interval_;
    while (thread_.SleepUntil(next) != collectors::WorkerThread::Woke::kStopping) {
      next += interval_;
      WriteOnce();
    }
  });
}

void HistoryWriter::WriteOnce() {
  std::shared_ptr<const model::Snapshot> snapshot = latest_();
  const double now = clock_.NowSeconds();
  if (!snapshot || snapshot->generation == last_generation_ || !model::IsFresh(*snapshot, now))
    return;
  std::vector<model::HistoryPoint> points = HistoryPointsOf(*snapshot, now);
  std::string error;
  if (!store_.Append(points, now, &error)) {
    errors_.fetch_add(1);
    if (!failing_) {
      failing_ = true;
      log_.Error("history write failed; serving goes on, the next write tries again",
                 {{"file", store_.path()}, {"err", error}});
    }
    return;
  }
  if (failing_) {
    failing_ = false;
    log_.Info("history writes work again", {{"file", store_.path()}});
  }
  last_generation_ = snapshot->generation;
  writes_.fetch_add(1);
  points_.fetch_add(points.size());
  last_write_.store(now);
}

HistoryCounts HistoryWriter::Counts() const {
  return {writes_.load(), points_.load(), errors_.load(), last_write_.load()};
}

}  // namespace evonic::exporter
