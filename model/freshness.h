#pragma once
// When the latest snapshot still says something about now: the one rule the REST answers (503
// otherwise) and the history writer (nothing written otherwise) share.

#include "model/snapshot.h"

namespace evonic::model {

/// A snapshot older than this many collection intervals is stale: the collector is stuck.
inline constexpr double kFreshIntervals = 3;

/// Whether `snap` may be served or kept at `now_seconds`: the engine answered and the last
/// collection is at most kFreshIntervals intervals (plus its own duration) old. Pure.
inline bool IsFresh(const Snapshot& snap, double now_seconds) {
  const CollectorStatus& st = snap.status;
  return st.docker_up && st.last_collect_timestamp_seconds > 0 &&
         now_seconds - st.last_collect_timestamp_seconds <=
             kFreshIntervals * st.collect_interval_seconds + st.collect_duration_seconds;
}

}  // namespace evonic::model
