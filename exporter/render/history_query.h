#pragma once
// The query string of the history endpoints:
//   since=<unix seconds or RFC 3339>   required
//   until=<unix seconds or RFC 3339>   optional
//   agent_id=, session_id=             optional filters (the pool endpoint)
//   limit=1..5000                      points per page (default 5000)
//   cursor=<next>                      the `next` of the previous page

#include <optional>
#include <string>
#include <string_view>

#include "model/history_point.h"

namespace evonic::exporter {

inline constexpr std::size_t kHistoryPageLimit = 5000;

/// The query, or nullopt with the reason in `error` (the 400's message). Pure, thread-safe.
std::optional<model::HistoryQuery> ParseHistoryQuery(std::string_view query_string,
                                                     std::string* error);

/// A time given as unix seconds ("1764201600", "1764201600.5") or RFC 3339
/// ("2026-11-27T00:00:00Z", "2026-11-27T01:00:00.250+01:00"); nullopt if neither.
std::optional<double> ParseTimeParameter(std::string_view text);

/// Percent-decoding of one query-string value ('+' is a space); nullopt on a malformed escape.
std::optional<std::string> DecodeQueryValue(std::string_view text);

}  // namespace evonic::exporter
