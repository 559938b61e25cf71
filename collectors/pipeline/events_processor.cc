#include "collectors/pipeline/events_processor.h"

#include <algorithm>
#include <utility>

#include "collectors/docker/engine_answers.h"

namespace evonic::collectors {

namespace {
constexpr std::size_t kTrimAfterBacklog = 4096;  // lines
}  // namespace

EventsProcessor::EventsProcessor(EngineApi& engine, SandboxBuilder& builder,
                                 FreeMemoryReturner& memory, const model::Clock& clock,
                                 Options options, logging::Logger& log, Sink sink,
                                 EarlyCycle early_cycle)
    : engine_(engine),
      builder_(builder),
      memory_(memory),
      clock_(clock),
      options_(std::move(options)),
      log_(log),
      sink_(std::move(sink)),
      early_cycle_(std::move(early_cycle)),
      queue_(options_.queue_capacity),
      ledger_(
          [&builder](const std::string& name, const std::map<std::string, std::string>& labels) {
            return builder.Resolve(name, labels).agent_id;
          }),
      stream_(
          engine, options_.stream, queue_, [this] { return last_time_nano_.load(); }, clock) {}

void EventsProcessor::Start() {
  processor_.Start([this] { Process(); });
  stream_.Start();
}

void EventsProcessor::Stop() {
  stream_.Stop();
  queue_.Close();
  processor_.Stop();
}

void EventsProcessor::CrossCheck(std::shared_ptr<const model::Snapshot> stats) {
  queue_.Push({StreamItem::Kind::kCrossCheck, "", std::move(stats)});
}

std::optional<model::Sandbox> EventsProcessor::StartedSandbox(const EngineEvent& e,
                                                              const HttpAnswer& inspect) {
  // Not Ok: gone already, or the engine is away; the next cycle decides.
  if (!inspect.Ok()) return std::nullopt;
  auto details = ParseInspect(inspect.body);
  if (!details.value) return std::nullopt;
  ContainerRef ref{e.container_id, e.container_name, details.value->image, e.labels};
  return builder_.Build(ref, &*details.value);
}

void EventsProcessor::HandleLine(const std::string& line, EventsUpdate& update, bool& urgent) {
  Parsed<EngineEvent> parsed = ParseEvent(line);
  if (!parsed.value) {
    if (ledger_.status().malformed_total == 0) {
      log_.Warn("unusable line in the engine's event stream; skipping such lines",
                {{"err", parsed.error}});
    }
    ++ledger_.status().malformed_total;
    return;
  }
  const EngineEvent& e = *parsed.value;
  if (options_.container_set != nullptr && e.action.rfind("exec_", 0) != 0) {
    options_.container_set->Changed();  // before the ledger: a duplicate is harmless here
  }
  EventLedger::Effect effect = ledger_.Apply(e);
  last_time_nano_ = ledger_.last_time_nano();
  if (effect.duplicate) return;
  if (effect.destroyed) {
    pending_starts_.erase(e.container_id);
    update.destroyed.push_back(e.container_id);
    urgent = true;
  }
  if (effect.started) {
    pending_starts_[e.container_id] = e;  // inspected when published, if still there
    urgent = true;
  }
}

void EventsProcessor::Publish(EventsUpdate& update) {
  // Sandboxes that started and still live: inspected now, all at once (one sequential GET each
  // kept the processor from the queue for as long as a burst's starts took), shown at once, and a
  // collection started early for their resource series. In a burst most are gone already.
  std::vector<std::string> ids;
  for (const auto& [id, event] : pending_starts_) ids.push_back(id);
  std::vector<HttpAnswer> answers = engine_.InspectAll(ids);
  std::size_t i = 0;
  for (const auto& [id, event] : pending_starts_) {
    if (auto s = StartedSandbox(event, answers[i++])) update.started.push_back(std::move(*s));
  }
  if (!pending_starts_.empty() && early_cycle_) early_cycle_();
  pending_starts_.clear();
  const double drops = static_cast<double>(queue_.dropped());
  if (drops != ledger_.status().queue_drops_total && options_.container_set != nullptr) {
    options_.container_set->Changed();  // a dropped line may have been a lifecycle event
  }
  ledger_.status().queue_drops_total = drops;
  update.view = ledger_.View();
  sink_(update);
  update = EventsUpdate{};
}

void EventsProcessor::Process() {
  using Clock = std::chrono::steady_clock;
  bool first_connection = true;
  bool up_logged = false;
  std::string last_break;
  const double stream_since = clock_.NowSeconds();  // the stream covers the engine from here on
  Clock::time_point replay_deadline = Clock::time_point::max();
  Clock::time_point last_publish = Clock::now();
  EventsUpdate pending;
  bool dirty = true;
  bool urgent = false;  // a destroy, start or connection change waits to be published
  std::size_t popped = 0, backlog_peak = 0;
  for (;;) {
    // Wake for the next item, the end of a replay, or a due publication (never "forever": a
    // time_point::max() deadline overflows inside the condition variable). Urgent news is
    // published as soon as the queue is drained, and at least every publish_interval in a burst.
    const Clock::time_point now = Clock::now();
    Clock::time_point wake = std::min(replay_deadline, now + std::chrono::hours(1));
    if (dirty) wake = std::min(wake, urgent ? now : last_publish + options_.publish_interval);
    std::optional<StreamItem> item = queue_.Pop(wake);
    if (item && ++popped % 1024 == 0) backlog_peak = std::max(backlog_peak, queue_.lines());
    if (!item && backlog_peak > kTrimAfterBacklog) {
      // A burst queued many lines; their memory is free again: hand it back to the system so the
      // exporter's RSS returns to its size before the burst.
      memory_.AfterBurst();
      backlog_peak = 0;
    }
    if (item) {
      dirty = true;
      switch (item->kind) {
        case StreamItem::Kind::kLine:
          HandleLine(item->text, pending, urgent);
          break;
        case StreamItem::Kind::kConnected:
          ledger_.OnConnected(first_connection);
          if (!first_connection) ++ledger_.status().reconnects_total;
          first_connection = false;
          ledger_.status().up = true;
          if (options_.container_set != nullptr) options_.container_set->SetFollowing(true);
          replay_deadline = Clock::now() + options_.replay_window;
          if (!up_logged) {
            log_.Info(last_break.empty() ? "following the engine's event stream"
                                         : "engine's event stream is back",
                      {});
          }
          up_logged = true;
          last_break.clear();
          urgent = true;
          break;
        case StreamItem::Kind::kDisconnected:
          if (ledger_.status().up || last_break.empty()) {
            log_.Warn("engine's event stream broke; reconnecting with backoff",
                      {{"err", item->text}});
          }
          replay_deadline = Clock::time_point::max();
          last_break = item->text;
          up_logged = false;
          ledger_.status().up = false;
          if (options_.container_set != nullptr) options_.container_set->SetFollowing(false);
          urgent = true;
          break;
        case StreamItem::Kind::kCrossCheck:
          if (ledger_.status().up) {
            const double before = ledger_.status().repairs_total;
            for (std::string& id : ledger_.CrossCheck(*item->stats, stream_since)) {
              pending_starts_.erase(id);
              pending.unlisted.push_back(std::move(id));
            }
            if (ledger_.status().repairs_total != before) {
              log_.Debug("events and the container list disagreed; repaired", {});
              urgent = true;
            }
          }
          break;
      }
    } else if (queue_.closed()) {
      return;
    }
    if (replay_deadline != Clock::time_point::max() &&
        (Clock::now() >= replay_deadline || !ledger_.ReplayPending())) {
      if (ledger_.ReplayPending()) {
        ledger_.OnReplayOver();
        log_.Warn(
            "events may have been lost (more than the engine's replay buffer passed, or it "
            "restarted); the next collection repairs the state",
            {{"lost_total", std::to_string(static_cast<long long>(ledger_.status().lost_total))}});
      }
      replay_deadline = Clock::time_point::max();
      dirty = true;
    }
    if (dirty && ((urgent && !item) || Clock::now() >= last_publish + options_.publish_interval)) {
      Publish(pending);
      last_publish = Clock::now();
      dirty = urgent = false;
    }
  }
}

}  // namespace evonic::collectors
