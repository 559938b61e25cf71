#include "collectors/pipeline/event_ledger.h"

#include <algorithm>
#include <utility>

#include "collectors/pipeline/tool_classifier.h"

namespace evonic::collectors {

namespace {
constexpr std::size_t kWindowEvents = 8192;        // dedup keys remembered at most
constexpr std::int64_t kWindowNano = 10000000000;  // and for at most 10 s before the last event
constexpr double kCrossCheckSlackSeconds = 1.0;
constexpr std::int64_t kFreedSignsNano = 60000000000;  // how long a lagging die may come late
constexpr double kNano = 1e9;

// Erases the entries of `map` whose time (`time_of` its value) is before `limit`.
template <typename Map, typename TimeOf>
void EraseBefore(Map& map, std::int64_t limit, TimeOf time_of) {
  for (auto it = map.begin(); it != map.end();) {
    it = time_of(it->second) < limit ? map.erase(it) : std::next(it);
  }
}
}  // namespace

EventLedger::EventLedger(AgentOf agent_of) : agent_of_(std::move(agent_of)) {}

bool EventLedger::Remember(const EngineEvent& e) {
  Key key{e.time_nano, e.container_id, e.action, e.exec_id};
  if (expected_in_replay_ && key == *expected_in_replay_) {
    expected_in_replay_.reset();  // the replay reaches back to what we saw: nothing lost
  }
  if (e.time_nano <= floor_nano_ || recent_.count(key)) return false;
  recent_.insert(key);
  recent_order_.push_back(key);
  last_time_nano_ = std::max(last_time_nano_, e.time_nano);
  last_key_ = key;
  while (!recent_order_.empty() &&
         (recent_order_.size() > kWindowEvents ||
          std::get<0>(recent_order_.front()) < last_time_nano_ - kWindowNano)) {
    floor_nano_ = std::max(floor_nano_, std::get<0>(recent_order_.front()));
    recent_.erase(recent_order_.front());
    recent_order_.pop_front();
  }
  return true;
}

EventLedger::Box& EventLedger::Ensure(const EngineEvent& e) {
  auto it = boxes_.find(e.container_id);
  if (it == boxes_.end()) {
    Box box;
    box.agent_id = agent_of_(e.container_name, e.labels);
    box.seen_nano = e.time_nano;
    // Known only from an exec or oom event: the sandbox runs.
    box.running = e.kind != EventKind::kCreate;
    it = boxes_.emplace(e.container_id, std::move(box)).first;
  }
  agents_[it->second.agent_id];  // exists at 0 from now on
  return it->second;
}

std::string EventLedger::AgentOfEvent(const EngineEvent& e) const {
  auto box = boxes_.find(e.container_id);
  return box != boxes_.end() ? box->second.agent_id : agent_of_(e.container_name, e.labels);
}

void EventLedger::CountRun(Box& box, model::Tool tool, bool failed, double seconds) {
  auto slot = static_cast<std::size_t>(tool);
  std::size_t bucket = 0;
  while (bucket < model::kToolDurationBuckets.size() &&
         seconds > model::kToolDurationBuckets[bucket]) {
    ++bucket;
  }
  for (model::ToolCounters* c : {&agents_[box.agent_id].tools[slot], &box.counters.tools[slot]}) {
    c->runs += 1;
    if (failed) c->failures += 1;
    c->seconds += seconds;
    c->bucket_counts[bucket] += 1;
  }
}

EventLedger::Effect EventLedger::Apply(const EngineEvent& e) {
  Effect effect;
  if (!Remember(e)) {
    effect.duplicate = true;
    return effect;
  }
  switch (e.kind) {
    case EventKind::kCreate:
      ++agents_[Ensure(e).agent_id].created;
      break;
    case EventKind::kStart: {
      Box& box = Ensure(e);
      box.running = true;
      box.signs = {};
      freed_signs_.erase(e.container_id);
      // Created long before a slow start (a loaded engine): only from now on can a cycle list
      // it, so only from now on does its absence from a list mean a missed destroy.
      box.seen_nano = std::max(box.seen_nano, e.time_nano);
      effect.started = true;
      break;
    }
    case EventKind::kExecCreate:
    case EventKind::kExecStart: {
      Box& box = Ensure(e);
      if (e.exec_id.empty()) break;
      auto [it, added] = box.execs.try_emplace(e.exec_id);
      if (added || e.kind == EventKind::kExecCreate) it->second.tool = ClassifyTool(e.exec_command);
      if (e.kind == EventKind::kExecStart) it->second.start_nano = e.time_nano;
      break;
    }
    case EventKind::kExecDie: {
      auto box = boxes_.find(e.container_id);
      if (box == boxes_.end()) break;
      auto exec = box->second.execs.find(e.exec_id);
      // An exec that began before the exporter followed the engine: its command is unknown.
      if (exec == box->second.execs.end()) break;
      const std::int64_t start = exec->second.start_nano;
      double seconds =
          start > 0 && e.time_nano > start ? static_cast<double>(e.time_nano - start) / kNano : 0.0;
      CountRun(box->second, exec->second.tool, e.exit_code.value_or(0) != 0, seconds);
      box->second.execs.erase(exec);
      break;
    }
    case EventKind::kOom: {
      Box& box = Ensure(e);
      ++agents_[box.agent_id].oom_kills;
      ++box.counters.oom_kills;
      box.signs.oom_killed = true;
      break;
    }
    case EventKind::kKill:
      Ensure(e).signs.kill_requested = true;
      break;
    case EventKind::kDie: {
      auto box = boxes_.find(e.container_id);
      // Untracked (it started before the stream covered it): only its exit code is known.
      // Freed by a cross-check (the stream lags behind the list): the signs kept for it.
      EndingSigns signs;
      if (box != boxes_.end()) {
        box->second.running = false;
        signs = box->second.signs;
      } else if (auto freed = freed_signs_.find(e.container_id); freed != freed_signs_.end()) {
        signs = freed->second.second;
        freed_signs_.erase(freed);
      }
      const model::Ending ending = ClassifyEnding(signs, e.exit_code);
      ++agents_[AgentOfEvent(e)].endings[static_cast<std::size_t>(ending)];
      break;
    }
    case EventKind::kDestroy: {
      auto box = boxes_.find(e.container_id);
      ++agents_[AgentOfEvent(e)].destroyed;
      if (box != boxes_.end()) boxes_.erase(box);  // its execs (even never started) go with it
      destroyed_[e.container_id] = e.time_nano;
      freed_signs_.erase(e.container_id);
      effect.destroyed = true;
      break;
    }
    case EventKind::kUnknown:
      break;  // rename, pause, health_status, ...: nothing to count
  }
  return effect;
}

void EventLedger::OnConnected(bool first) {
  expected_in_replay_ = first ? std::nullopt : last_key_;
}

void EventLedger::OnReplayOver() {
  if (expected_in_replay_) ++status_.lost_total;
  expected_in_replay_.reset();
}

std::vector<std::string> EventLedger::CrossCheck(const model::Snapshot& stats,
                                                 double stream_since_seconds) {
  std::vector<std::string> freed;
  if (!stats.status.docker_up) return freed;
  const double cycle_start = stats.status.collect_start_timestamp_seconds;
  const auto cycle_start_nano = static_cast<std::int64_t>(cycle_start * kNano);
  // Destroys older than this cycle (with slack) can no longer be listed by any later cycle.
  EraseBefore(destroyed_,
              cycle_start_nano - static_cast<std::int64_t>(kCrossCheckSlackSeconds * kNano),
              [](std::int64_t destroy_nano) { return destroy_nano; });
  EraseBefore(freed_signs_, cycle_start_nano - kFreedSignsNano,
              [](const auto& entry) { return entry.first; });
  std::set<std::string> listed;
  for (const model::Sandbox& s : stats.sandboxes) {
    listed.insert(s.container_id);
    auto it = boxes_.find(s.container_id);
    if (it != boxes_.end()) {
      it->second.agent_id = s.agent_id;  // the builder's latest answer (the database may be newer)
      it->second.running = true;
      continue;
    }
    if (destroyed_.count(s.container_id)) continue;  // listed just before its destroy
    Box box;
    box.agent_id = s.agent_id;
    box.running = true;
    box.seen_nano = cycle_start_nano;
    boxes_.emplace(s.container_id, std::move(box));
    // A start the events should have shown: a disagreement, now repaired.
    if (s.start_time_seconds && *s.start_time_seconds > stream_since_seconds &&
        *s.start_time_seconds < cycle_start - kCrossCheckSlackSeconds) {
      ++status_.repairs_total;
    }
  }
  const auto before = static_cast<std::int64_t>((cycle_start - kCrossCheckSlackSeconds) * kNano);
  for (auto it = boxes_.begin(); it != boxes_.end();) {
    if (it->second.running && !listed.count(it->first) && it->second.seen_nano < before) {
      // The events think it lives, the engine does not list it: a destroy we missed.
      ++status_.repairs_total;
      const EndingSigns& signs = it->second.signs;
      if (signs.kill_requested || signs.oom_killed) {
        freed_signs_[it->first] = {cycle_start_nano, signs};
      }
      freed.push_back(it->first);
      it = boxes_.erase(it);
    } else {
      ++it;
    }
  }
  return freed;
}

std::size_t EventLedger::tracked_objects() const {
  std::size_t n = boxes_.size();
  for (const auto& [id, box] : boxes_) n += box.execs.size();
  return n;
}

std::shared_ptr<const model::EventsView> EventLedger::View() const {
  auto view = std::make_shared<model::EventsView>();
  view->agents = agents_;
  for (const auto& [id, box] : boxes_) view->sessions.emplace(id, box.counters);
  view->status = status_;
  view->status.tracked_objects = static_cast<double>(tracked_objects());
  return view;
}

}  // namespace evonic::collectors
