#pragma once
// Joins the two producers of what scrapes see: the stats collection (a Snapshot per cycle) and
// the event processor (counters, sandboxes destroyed or started between cycles).

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "model/clock.h"
#include "model/events_view.h"
#include "model/snapshot.h"

namespace evonic::collectors {

/// What the event processor publishes.
struct EventsUpdate {
  std::shared_ptr<const model::EventsView> view;
  std::vector<std::string> destroyed;   // container ids whose series must go now
  std::vector<model::Sandbox> started;  // inspected at their start, before any stats answer
  // Ids the events thought alive that a cycle did not list (the ledger's repair): forgotten if
  // shown as started, but never hidden, since a later cycle that lists one proves it alive.
  std::vector<std::string> unlisted;
};

/// \brief Publishes a new immutable Snapshot whenever either producer hands it something: the
/// last stats snapshot without the sandboxes destroyed since (a cycle already in flight cannot
/// bring one back: its id stays excluded until a cycle no longer lists it), plus sandboxes that
/// started since (until a cycle lists them), with the latest EventsView attached, completed with
/// zero counters for every agent seen so far (sandboxes, Evonic's database) that the events have
/// not mentioned yet.
///
/// It is the one owner of what every published snapshot shares: the generation number (one more
/// per publication) and the agents seen with a sandbox since start (Snapshot::known_agents). The
/// sink runs under the composer's lock, so snapshots reach it in order; it must only hand the
/// snapshot on (the render thread renders). The class is thread-safe.
class SnapshotComposer {
 public:
  enum class Cause { kStats, kEvents };
  using Sink = std::function<void(std::shared_ptr<const model::Snapshot>, Cause)>;
  SnapshotComposer(std::shared_ptr<const model::Snapshot> initial, const model::Clock& clock,
                   Sink sink);

  void OnStats(std::shared_ptr<const model::Snapshot> stats);
  void OnEvents(const EventsUpdate& update);

 private:
  void PublishLocked(Cause cause);

  const model::Clock& clock_;
  std::mutex mu_;
  std::shared_ptr<const model::Snapshot> stats_;
  std::shared_ptr<const model::EventsView> events_;
  std::set<std::string> destroyed_;                            // excluded until a cycle lacks them
  std::map<std::string, model::Sandbox> started_;              // by container id
  std::map<std::string, double> started_at_;                   // when each was added (wall seconds)
  std::shared_ptr<const std::set<std::string>> known_agents_;  // with a sandbox, since start
  std::set<std::string> agents_seen_;  // known_agents_ and the database's, for the event counters
  std::uint64_t generation_ = 0;
  Sink sink_;
};

}  // namespace evonic::collectors
