#pragma once
// One sandbox's figures at one moment, as the history keeps them (issue H): what the live REST
// answer shows, without personal data (no external_user_id). Plain values.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/events_view.h"

namespace evonic::model {

struct HistoryPoint {
  std::int64_t id = 0;  // the store's row id: points are read back in the order they were written
  double time_seconds = 0;  // when the point was taken (unix seconds)
  std::string agent_id;
  std::string session_id;
  std::string container_id;  // the full id
  std::string container_name;
  std::optional<double> cpu_percent;  // docker stats CPU %, two decimals
  std::optional<double> memory_used_bytes;
  std::optional<double> memory_limit_bytes;  // the limit docker stats shows
  std::optional<double> network_input_bytes;
  std::optional<double> network_output_bytes;
  std::optional<double> block_read_bytes;
  std::optional<double> block_write_bytes;
  std::optional<double> pids;
  std::optional<double> pids_limit;
  SessionEventCounters events;  // tool runs, failures, seconds and OOM kills so far
};

/// What the history writer did since start (exporter/history/history_writer.h).
struct HistoryCounts {
  std::uint64_t writes = 0;
  std::uint64_t points = 0;
  std::uint64_t write_errors = 0;
  double last_write_seconds = 0;  // wall time of the last successful write; 0: none yet
};

/// Which points a history request asks for.
struct HistoryQuery {
  double since = 0;             // time_seconds >= since
  std::optional<double> until;  // time_seconds <= until
  std::string agent_id;         // empty: every agent
  std::string session_id;       // empty: every session
  std::int64_t after_id = 0;    // the cursor: points written after this one
  std::size_t limit = 5000;     // points per page
};

/// One page of a history answer.
struct HistoryPage {
  std::vector<HistoryPoint> points;  // in the order they were written
  bool more = false;                 // the limit was reached: ask again after the last
};

}  // namespace evonic::model
