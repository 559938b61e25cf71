#include "collectors/pipeline/collection_loop.h"

#include <utility>

namespace evonic::collectors {

CollectionLoop::CollectionLoop(SandboxCollector& collector, SandboxBuilder& builder,
                               Options options, const model::Clock& clock, Sink sink)
    : collector_(collector),
      builder_(builder),
      options_(options),
      clock_(clock),
      sink_(std::move(sink)) {}

void CollectionLoop::Start() {
  worker_.Start([this] { Run(); });
}

std::shared_ptr<const model::Snapshot> CollectionLoop::RunOnce() {
  auto started = std::chrono::steady_clock::now();
  const double started_wall = clock_.NowSeconds();
  std::shared_ptr<const model::EvonicView> evonic = builder_.RefreshEvonic();
  CycleResult cycle = collector_.Collect();
  auto duration = std::chrono::duration<double>(std::chrono::steady_clock::now() - started);
  if (duration > options_.interval) ++overruns_total_;
  errors_total_ += static_cast<double>(cycle.errors);

  auto snapshot = std::make_shared<model::Snapshot>();
  snapshot->sandboxes = std::move(cycle.sandboxes);
  snapshot->pool_max_containers = options_.pool_max_containers;
  if (!options_.pool_max_from_flag && evonic && evonic->max_containers) {
    snapshot->pool_max_containers = *evonic->max_containers;
  }
  snapshot->evonic = std::move(evonic);
  model::CollectorStatus& st = snapshot->status;
  st.docker_up = cycle.engine_up;
  st.api_version = cycle.api_version;
  st.collect_duration_seconds = duration.count();
  st.collect_interval_seconds = std::chrono::duration<double>(options_.interval).count();
  st.last_collect_timestamp_seconds = clock_.NowSeconds();
  st.collect_errors_total = errors_total_;
  st.collect_overruns_total = overruns_total_;
  st.unmatched_containers = static_cast<double>(cycle.unmatched);
  st.sessions_not_in_evonic_db = static_cast<double>(cycle.not_in_evonic_db);
  st.collect_start_timestamp_seconds = started_wall;
  st.stats_source = cycle.stats_source;
  st.stats_checks_agreed_total = static_cast<double>(cycle.checks_agreed);
  st.stats_checks_disagreed_total = static_cast<double>(cycle.checks_disagreed);
  std::shared_ptr<const model::Snapshot> published = std::move(snapshot);
  sink_(published);
  return published;
}

void CollectionLoop::Run() {
  auto next = std::chrono::steady_clock::now();
  for (;;) {
    WorkerThread::Woke woke = worker_.SleepUntil(next);
    if (woke == WorkerThread::Woke::kStopping) return;
    if (woke == WorkerThread::Woke::kWakeCalled) next = std::chrono::steady_clock::now();
    RunOnce();
    // The next cycle starts one interval after this one started, or at once if it ran over.
    next += options_.interval;
    auto now = std::chrono::steady_clock::now();
    if (next < now) next = now;
  }
}

}  // namespace evonic::collectors
