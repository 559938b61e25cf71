#pragma once
// What the exporter asks of the Docker engine, as one interface: the engine client implements it
// (docker_engine.h), unit tests replace it with recorded answers held in memory.

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "collectors/docker/docker_client.h"
#include "collectors/docker/engine_answers.h"
#include "collectors/docker/stop_signal.h"

namespace evonic::collectors {

/// How one attempt to follow the event stream ended.
struct EventStreamEnd {
  bool reached = false;  // the engine answered 200 and the stream was read
  std::string why;       // why it ended (or never began), for the log
};

/// Receives the event stream as it arrives, on the following thread.
struct EventStreamSink {
  std::function<void()> connected;               // the engine answered 200
  std::function<void(std::string&& line)> line;  // one complete, non-empty line
};

/// How a stats sample is asked for.
enum class StatsSample {
  /// One sample at once (`one-shot=true` where the API version has it): `precpu_stats` empty,
  /// CPU % comes from the caller's previous sample.
  kOneShot,
  /// The engine waits for its next sample (about 1 s) and sends its previous one with it
  /// (`precpu_stats`): CPU % from this answer alone, for a sandbox that has no sample yet.
  kWithPrevious,
};

/// One container's stats, asked one way.
struct StatsQuery {
  std::string id;
  StatsSample sample = StatsSample::kOneShot;
};

/// \brief The engine as the collectors see it: GET requests only, never another method.
///
/// Implementations negotiate the API version once, share it between every caller (the stats
/// cycle, the event stream, the events processor) and negotiate again after the engine refused
/// the version (HTTP 400) or went away. Answers are raw (status and body): parsing is the
/// caller's, in engine_answers.h, stats_parser.h and event_parser.h. Implementations are
/// thread-safe.
class EngineApi {
 public:
  virtual ~EngineApi() = default;

  /// The negotiated version, negotiating first when there is none; nullopt and `why` ("GET
  /// /version: ...") when the engine cannot tell.
  virtual std::optional<ApiVersion> Version(std::string* why) = 0;

  /// GET /info: the engine's cgroup version and driver (where its containers' cgroups are).
  virtual HttpAnswer Info() = 0;
  /// GET /containers/json filtered to containers with `label_filter` (e.g. "evonic.managed=1").
  virtual HttpAnswer ListContainers(const std::string& label_filter) = 0;
  /// GET /containers/{id}/json for one container.
  virtual HttpAnswer Inspect(const std::string& id) = 0;
  /// Inspect of every id, concurrently; answers in the same order.
  virtual std::vector<HttpAnswer> InspectAll(const std::vector<std::string>& ids) = 0;
  /// A stats sample of every query's container, each asked as the query says, concurrently;
  /// answers in the same order.
  virtual std::vector<HttpAnswer> StatsAll(const std::vector<StatsQuery>& queries) = 0;

  /// Follows GET /events (containers with `label_filter`, from `since_nano`) until the engine
  /// ends it, it breaks, or `stop` is raised (which wakes the transfer at once); each line goes
  /// to `sink` as it arrives.
  virtual EventStreamEnd FollowEvents(const std::string& label_filter, std::int64_t since_nano,
                                      const EventStreamSink& sink, const StopSignal& stop) = 0;

  /// Where the engine is, for log lines (e.g. "unix:///var/run/docker.sock").
  virtual std::string Where() const = 0;
};

/// "<seconds>.<9 digits>" as the engine's `since` takes it.
std::string SinceParameter(std::int64_t time_nano);

}  // namespace evonic::collectors
