#pragma once
// Pure parsing of one line of the engine's GET /events stream. No I/O; thread-safe; never throws.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>

#include "collectors/docker/engine_answers.h"

namespace evonic::collectors {

/// The container event kinds the exporter acts on; everything else is kUnknown (ignored).
enum class EventKind {
  kCreate,
  kStart,
  kKill,  // the engine was asked to signal it: docker stop, docker kill, docker rm -f
  kDie,
  kOom,
  kDestroy,
  kExecCreate,
  kExecStart,
  kExecDie,
  kUnknown
};

/// One container event.
struct EngineEvent {
  EventKind kind = EventKind::kUnknown;
  std::string action;        // as sent, e.g. "exec_create: bash -s"
  std::string exec_command;  // for exec_create / exec_start: the part after ": "
  std::string container_id;  // full id
  std::string container_name;
  std::map<std::string, std::string> labels;  // the container's labels (Actor.Attributes minus
                                              // the engine's own keys)
  std::string exec_id;                        // exec events
  std::optional<int> exit_code;               // die, exec_die
  std::int64_t time_nano = 0;

  /// The duplicate key: a replay after `since` sends the very same event again.
  auto Key() const { return std::tie(time_nano, container_id, action, exec_id); }
};

/// Parses one JSON line. Non-container events and events without an id or time are errors.
Parsed<EngineEvent> ParseEvent(std::string_view line);

}  // namespace evonic::collectors
