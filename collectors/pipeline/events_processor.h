#pragma once
// The events side of collection: follows the engine's event stream (EventStream's reader thread)
// and processes it on a second thread into counters and snapshot updates.

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "collectors/docker/engine_api.h"
#include "collectors/identity/sandbox_builder.h"
#include "collectors/pipeline/container_set_watch.h"
#include "collectors/pipeline/event_ledger.h"
#include "collectors/pipeline/event_stream.h"
#include "collectors/pipeline/memory_returner.h"
#include "collectors/pipeline/snapshot_composer.h"
#include "collectors/pipeline/worker_thread.h"
#include "logging/logger.h"
#include "model/clock.h"

namespace evonic::collectors {

/// \brief Owns the reader (EventStream) and the processor thread.
///
/// The processor alone owns an EventLedger: it parses lines, drops duplicates, joins execs,
/// inspects sandboxes at `start` and hands EventsUpdates to `sink`: for a destroy or a start as
/// soon as the queue is drained (in a burst: every `publish_interval`), else at most every
/// `publish_interval`. Identities come from the SandboxBuilder, the same as the stats cycle's.
/// CrossCheck() queues a stats snapshot for comparison and never blocks (the stats collector hands
/// each cycle's snapshot to it). Problems (malformed lines, the stream breaking) are logged once,
/// not per line. Start()/Stop() are for the owning thread; the other methods are thread-safe.
class EventsProcessor {
 public:
  struct Options {
    EventStream::Options stream;
    std::size_t queue_capacity = 1u << 18;  // lines waiting for the processor
    std::chrono::milliseconds publish_interval{200};
    std::chrono::milliseconds replay_window{1000};  // after connecting: the `since` replay
    ContainerSetWatch* container_set = nullptr;  // told of lifecycle events and the stream's state
  };
  using Sink = std::function<void(const EventsUpdate&)>;
  using EarlyCycle = std::function<void()>;

  EventsProcessor(EngineApi& engine, SandboxBuilder& builder, FreeMemoryReturner& memory,
                  const model::Clock& clock, Options options, logging::Logger& log, Sink sink,
                  EarlyCycle early_cycle);
  ~EventsProcessor() { Stop(); }
  EventsProcessor(const EventsProcessor&) = delete;
  EventsProcessor& operator=(const EventsProcessor&) = delete;

  void Start();
  void Stop();
  void CrossCheck(std::shared_ptr<const model::Snapshot> stats);

 private:
  void Process();
  void HandleLine(const std::string& line, EventsUpdate& update, bool& urgent);
  void Publish(EventsUpdate& update);
  /// The sandbox a `start` showed, from its inspect answer; nullopt when it is gone.
  std::optional<model::Sandbox> StartedSandbox(const EngineEvent& event, const HttpAnswer& inspect);

  EngineApi& engine_;
  SandboxBuilder& builder_;
  FreeMemoryReturner& memory_;
  const model::Clock& clock_;
  Options options_;
  logging::Logger& log_;
  Sink sink_;
  EarlyCycle early_cycle_;
  StreamQueue queue_;
  EventLedger ledger_;
  std::atomic<std::int64_t> last_time_nano_{0};
  std::map<std::string, EngineEvent> pending_starts_;  // started since the last publication
  EventStream stream_;
  WorkerThread processor_;  // last: stopped before the members its thread uses go
};

}  // namespace evonic::collectors
