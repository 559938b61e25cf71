#include "collectors/pipeline/collection_loop.h"

#include <utility>

namespace evonic::collectors {

CollectionLoop::CollectionLoop(SandboxCollector& collector, Options options, Sink sink)
    : collector_(collector), options_(options), sink_(std::move(sink)) {}

CollectionLoop::~CollectionLoop() { Stop(); }

void CollectionLoop::Start() {
  thread_ = std::thread([this] { Run(); });
}

void CollectionLoop::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void CollectionLoop::RequestEarlyCycle() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    early_ = true;
  }
  wake_.notify_all();
}

std::shared_ptr<const model::Snapshot> CollectionLoop::RunOnce() {
  auto started = std::chrono::steady_clock::now();
  const double started_wall =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  std::shared_ptr<const model::EvonicView> evonic = options_.evonic ? options_.evonic() : nullptr;
  CycleResult cycle = collector_.Collect(evonic);
  auto duration = std::chrono::duration<double>(std::chrono::steady_clock::now() - started);
  if (duration > options_.interval) ++overruns_total_;
  errors_total_ += static_cast<double>(cycle.errors);

  auto snapshot = std::make_shared<model::Snapshot>();
  snapshot->generation = ++generation_;
  snapshot->sandboxes = std::move(cycle.sandboxes);
  snapshot->pool_max_containers = options_.pool_max_containers;
  if (!options_.pool_max_from_flag && evonic && evonic->max_containers) {
    snapshot->pool_max_containers = *evonic->max_containers;
  }
  snapshot->evonic = std::move(evonic);
  // Agents seen with a sandbox, for the life of the process; a new set only when one is added.
  std::shared_ptr<std::set<std::string>> grown;
  for (const model::Sandbox& s : snapshot->sandboxes) {
    if (known_agents_ && known_agents_->count(s.agent_id)) continue;
    if (!grown) {
      grown = known_agents_ ? std::make_shared<std::set<std::string>>(*known_agents_)
                            : std::make_shared<std::set<std::string>>();
    }
    grown->insert(s.agent_id);
  }
  if (grown) known_agents_ = std::move(grown);
  snapshot->known_agents = known_agents_;
  model::CollectorStatus& st = snapshot->status;
  st.docker_up = cycle.engine_up;
  st.api_version = cycle.api_version;
  st.collect_duration_seconds = duration.count();
  st.collect_interval_seconds = std::chrono::duration<double>(options_.interval).count();
  st.last_collect_timestamp_seconds =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  st.collect_errors_total = errors_total_;
  st.collect_overruns_total = overruns_total_;
  st.unmatched_containers = static_cast<double>(cycle.unmatched);
  st.sessions_not_in_evonic_db = static_cast<double>(cycle.not_in_evonic_db);
  st.collect_start_timestamp_seconds = started_wall;
  std::shared_ptr<const model::Snapshot> published = std::move(snapshot);
  sink_(published);
  return published;
}

void CollectionLoop::Run() {
  auto next = std::chrono::steady_clock::now();
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait_until(lock, next, [this] { return stopping_ || early_; });
      if (stopping_) return;
      if (early_) next = std::chrono::steady_clock::now();
      early_ = false;
    }
    RunOnce();
    // The next cycle starts one interval after this one started, or at once if it ran over.
    next += options_.interval;
    auto now = std::chrono::steady_clock::now();
    if (next < now) next = now;
  }
}

}  // namespace evonic::collectors
