#include "collectors/pipeline/pipeline.h"

#include <utility>

namespace evonic::collectors {

namespace {
// Free heap pages go back to the kernel after a render, at most this often.
constexpr std::chrono::seconds kTrimGap{1};
}  // namespace

std::shared_ptr<const model::Snapshot> Pipeline::InitialSnapshot(const Options& options) {
  auto initial = std::make_shared<model::Snapshot>();
  initial->pool_max_containers = options.pool_max_containers;
  initial->status.collect_interval_seconds =
      std::chrono::duration<double>(options.interval).count();
  return initial;
}

Pipeline::Pipeline(Options options, EngineApi& engine, SandboxBuilder& builder,
                   const model::Clock& clock, logging::Logger& log, RenderThread::Render render)
    : memory_(kTrimGap),
      render_(options.render_coalesce, memory_, std::move(render)),
      composer_(InitialSnapshot(options), clock,
                [this](std::shared_ptr<const model::Snapshot> s, SnapshotComposer::Cause cause) {
                  render_.Offer(std::move(s), cause);
                }),
      stats_(options.stats_source, options.host_paths, engine, clock, log),
      verifier_(engine, log),
      collector_(engine, builder, stats_,
                 SandboxCollector::Options{options.label_filter, &container_set_}, log, &verifier_),
      events_(
          engine, builder, memory_, clock,
          [this, &options] {
            EventsProcessor::Options o;
            o.stream.label_filter = options.label_filter;
            o.container_set = &container_set_;
            return o;
          }(),
          log, [this](const EventsUpdate& u) { composer_.OnEvents(u); },
          [this] { loop_.RequestEarlyCycle(); }),
      loop_(collector_, builder,
            CollectionLoop::Options{options.interval, options.pool_max_containers,
                                    options.pool_max_from_flag},
            clock, [this](std::shared_ptr<const model::Snapshot> s) {
              composer_.OnStats(s);
              events_.CrossCheck(std::move(s));
            }) {}

void Pipeline::Start() {
  render_.Start();
  verifier_.Start();
  loop_.Start();
  events_.Start();
}

void Pipeline::Stop() {
  events_.Stop();  // first: it may ask the loop for an early cycle
  loop_.Stop();
  verifier_.Stop();
  render_.Stop();
}

}  // namespace evonic::collectors
