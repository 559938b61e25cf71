#include "collectors/pipeline/snapshot_composer.h"

#include <utility>

#include "collectors/identity/sandbox_builder.h"

namespace evonic::collectors {

SnapshotComposer::SnapshotComposer(std::shared_ptr<const model::Snapshot> initial,
                                   const model::Clock& clock, Sink sink)
    : clock_(clock), stats_(std::move(initial)), sink_(std::move(sink)) {}

void SnapshotComposer::OnStats(std::shared_ptr<const model::Snapshot> stats) {
  std::lock_guard<std::mutex> lock(mu_);
  std::set<std::string> listed;
  for (const model::Sandbox& s : stats->sandboxes) listed.insert(s.container_id);
  for (auto it = destroyed_.begin(); it != destroyed_.end();) {
    it = listed.count(*it) ? std::next(it) : destroyed_.erase(it);
  }
  const double cycle_start = stats->status.collect_start_timestamp_seconds;
  for (auto it = started_.begin(); it != started_.end();) {
    // Listed: the stats answer takes over. Not listed by a cycle that began after it started:
    // it is gone already.
    if (listed.count(it->first) || started_at_[it->first] < cycle_start) {
      started_at_.erase(it->first);
      it = started_.erase(it);
    } else {
      ++it;
    }
  }
  stats_ = std::move(stats);
  PublishLocked(Cause::kStats);
}

void SnapshotComposer::OnEvents(const EventsUpdate& update) {
  std::lock_guard<std::mutex> lock(mu_);
  if (update.view) events_ = update.view;
  for (const std::string& id : update.destroyed) {
    destroyed_.insert(id);
    started_.erase(id);
    started_at_.erase(id);
  }
  for (const std::string& id : update.unlisted) {
    started_.erase(id);
    started_at_.erase(id);
  }
  for (const model::Sandbox& s : update.started) {
    if (destroyed_.count(s.container_id)) continue;
    started_[s.container_id] = s;
    started_at_[s.container_id] = clock_.NowSeconds();
  }
  PublishLocked(Cause::kEvents);
}

void SnapshotComposer::PublishLocked(Cause cause) {
  auto next = std::make_shared<model::Snapshot>(*stats_);
  next->generation = ++generation_;
  next->events = events_;
  bool added = false;
  if (!destroyed_.empty() || !started_.empty()) {
    std::vector<model::Sandbox> kept;
    kept.reserve(next->sandboxes.size() + started_.size());
    std::set<std::string> present;
    for (model::Sandbox& s : next->sandboxes) {
      if (destroyed_.count(s.container_id)) continue;
      present.insert(s.container_id);
      kept.push_back(std::move(s));
    }
    for (const auto& [id, s] : started_) {
      if (present.count(id)) continue;
      kept.push_back(s);
      added = true;
    }
    next->sandboxes = std::move(kept);
  }
  if (added) MakeLabelSetsUnique(next->sandboxes);
  // Agents seen with a sandbox, for the life of the process; a new set only when one is added.
  std::shared_ptr<std::set<std::string>> grown;
  for (const model::Sandbox& s : next->sandboxes) {
    agents_seen_.insert(s.agent_id);
    if (known_agents_ && known_agents_->count(s.agent_id)) continue;
    if (!grown) {
      grown = known_agents_ ? std::make_shared<std::set<std::string>>(*known_agents_)
                            : std::make_shared<std::set<std::string>>();
    }
    grown->insert(s.agent_id);
  }
  if (grown) known_agents_ = std::move(grown);
  next->known_agents = known_agents_;
  // Every agent seen so far has its event counters on the page, at 0 until something happens,
  // even before the event processor has heard of it.
  if (next->evonic) {
    for (const auto& [agent, unused] : next->evonic->agents) agents_seen_.insert(agent);
  }
  std::shared_ptr<model::EventsView> completed;
  for (const std::string& agent : agents_seen_) {
    if (events_ && events_->agents.count(agent)) continue;
    if (!completed) {
      completed = events_ ? std::make_shared<model::EventsView>(*events_)
                          : std::make_shared<model::EventsView>();
    }
    completed->agents[agent];
  }
  if (completed) next->events = std::move(completed);
  sink_(std::move(next), cause);
}

}  // namespace evonic::collectors
