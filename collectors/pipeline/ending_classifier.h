#pragma once
// Why a sandbox stopped running, from what its events said between its start and its die.

#include <optional>

#include "model/events_view.h"

namespace evonic::collectors {

/// What the event stream said of one sandbox since it last started.
struct EndingSigns {
  bool kill_requested = false;  // a `kill` event: docker stop, docker kill or docker rm -f
  bool oom_killed = false;      // an `oom` event: the kernel killed one of its processes
};

/// The reason a `die` with `exit_code` (absent: taken as 0) is counted under:
/// - removed: the engine was asked to end it (a kill event came first), whatever the exit code
///   (rm -f gives 137, a stop whose process exits on SIGTERM gives 0). Evonic's idle timeout, LRU
///   eviction, reaper and exit all remove sandboxes with `docker rm -f`.
/// - oom: it ended on its own, with a non-zero code, after an OOM kill in it (the kernel's SIGKILL
///   gives 137; a main process may also fail because its child was killed). Evonic's main process
///   is `sleep infinity`, which ends on its own only when killed.
/// - error: it ended on its own with a non-zero code.
/// - clean: it ended on its own with 0.
/// Pure; thread-safe.
model::Ending ClassifyEnding(const EndingSigns& signs, std::optional<int> exit_code);

}  // namespace evonic::collectors
