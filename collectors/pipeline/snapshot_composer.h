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

#include "model/events_view.h"
#include "model/snapshot.h"

namespace evonic::collectors {

/// What the event processor publishes.
struct EventsUpdate {
  std::shared_ptr<const model::EventsView> view;
  std::vector<std::string> destroyed;   // container ids whose series must go now
  std::vector<model::Sandbox> started;  // inspected at their start, before any stats answer
};

/// \brief Publishes a new immutable Snapshot whenever either producer hands it something: the
/// last stats snapshot without the sandboxes destroyed since (a cycle already in flight cannot
/// bring one back: its id stays excluded until a cycle no longer lists it), plus sandboxes that
/// started since (until a cycle lists them), with the latest EventsView attached, completed with
/// zero counters for every agent seen in a snapshot (sandboxes, Evonic's database) that the
/// events have not mentioned yet.
///
/// The sink runs under the composer's lock, so snapshots reach it in order; it should only
/// render and publish. Readers of the published snapshots never touch this lock. The class is
/// thread-safe.
class SnapshotComposer {
 public:
  using Sink = std::function<void(std::shared_ptr<const model::Snapshot>)>;
  SnapshotComposer(std::shared_ptr<const model::Snapshot> initial, Sink sink);

  void OnStats(std::shared_ptr<const model::Snapshot> stats);
  void OnEvents(const EventsUpdate& update);

 private:
  void PublishLocked();

  std::mutex mu_;
  std::shared_ptr<const model::Snapshot> stats_;
  std::shared_ptr<const model::EventsView> events_;
  std::set<std::string> destroyed_;                // excluded until a cycle lacks them
  std::map<std::string, model::Sandbox> started_;  // by container id
  std::map<std::string, double> started_at_;       // when each was added (wall seconds)
  std::set<std::string> agents_seen_;  // sandboxes' and the database's, for the process's life
  std::uint64_t generation_ = 0;
  Sink sink_;
};

}  // namespace evonic::collectors
