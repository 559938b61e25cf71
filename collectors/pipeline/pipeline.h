#pragma once
// The whole collection side in one object: engine -> stats cycle and events processor ->
// composer -> render thread. The exporter builds one and gives it the function that renders.

#include <chrono>
#include <memory>
#include <string>

#include "collectors/docker/engine_api.h"
#include "collectors/identity/sandbox_builder.h"
#include "collectors/pipeline/collection_loop.h"
#include "collectors/pipeline/events_processor.h"
#include "collectors/pipeline/memory_returner.h"
#include "collectors/pipeline/render_thread.h"
#include "collectors/pipeline/sandbox_collector.h"
#include "collectors/pipeline/snapshot_composer.h"
#include "collectors/pipeline/stats_source_choice.h"
#include "collectors/pipeline/stats_verifier.h"
#include "logging/logger.h"
#include "model/clock.h"
#include "model/snapshot.h"

namespace evonic::collectors {

/// \brief Owns the collection threads and everything they share, and their lifetimes.
///
/// Threads: the collection loop (stats cycles), the event stream's reader, the events processor,
/// the render thread and the stats verifier (cgroupfs checked against the engine). Data flows one
/// way: the loop and the events processor hand what they read to the composer, which publishes an
/// immutable Snapshot to the render thread, which calls `render` (the exporter's: exposition and
/// REST answers). Neither producer ever waits for a render, and a scrape never waits for any of
/// them. Start() and Stop() are for the owning thread; Stop() (also the destructor) stops the
/// producers first, then the render thread.
class Pipeline {
 public:
  struct Options {
    std::string label_filter = "evonic.managed=1";
    std::chrono::milliseconds interval{5000};
    double pool_max_containers = 10;
    bool pool_max_from_flag = false;
    std::chrono::milliseconds render_coalesce{200};  // event-driven renders, at most one per
    StatsSourceMode stats_source = StatsSourceMode::kAuto;
    cgroupfs::HostPaths host_paths;  // cgroupfs and procfs, for the cgroupfs source
  };

  Pipeline(Options options, EngineApi& engine, SandboxBuilder& builder, const model::Clock& clock,
           logging::Logger& log, RenderThread::Render render);
  ~Pipeline() { Stop(); }
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  /// What scrapes see until the first cycle ends: the exporter's own metrics and docker_up 0.
  static std::shared_ptr<const model::Snapshot> InitialSnapshot(const Options& options);

  void Start();
  void Stop();

 private:
  FreeMemoryReturner memory_;
  RenderThread render_;
  SnapshotComposer composer_;
  ContainerSetWatch container_set_;
  StatsSourceChoice stats_;
  StatsVerifier verifier_;
  SandboxCollector collector_;
  EventsProcessor events_;
  CollectionLoop loop_;
};

}  // namespace evonic::collectors
