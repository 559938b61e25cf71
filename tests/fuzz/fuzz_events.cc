// The event stream: ParseEvent on every line, and the parsed events through an EventLedger
// (dedup window, exec joins, counters, replay checks, cross-checks).
// Input: lines. A line of one byte 0x01 is a reconnect, 0x02 a first connection, 0x03 the end of a
// replay, 0x04 a stats cycle's cross-check listing every other container seen so far.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "collectors/docker/event_parser.h"
#include "collectors/identity/identity.h"
#include "collectors/pipeline/event_ledger.h"
#include "model/snapshot.h"
#include "tests/fuzz/fuzz_input.h"

using namespace evonic;

namespace {

const collectors::IdentityResolver& Rules() {
  static const collectors::IdentityResolver rules = [] {
    std::string error;
    return *collectors::IdentityResolver::Create(
        {"evonic.agent_id", "evonic.session_id", {collectors::kDefaultNameRule}}, &error);
  }();
  return rules;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  collectors::EventLedger ledger(
      [](const std::string& name, const std::map<std::string, std::string>& labels) {
        return Rules().Resolve(name, labels).agent_id;
      });
  std::vector<std::string> seen;
  for (const std::string& line : fuzz::Split(fuzz::AsText(data, size), '\n')) {
    if (line == "\x01" || line == "\x02") {
      ledger.OnConnected(line == "\x02");
      continue;
    }
    if (line == "\x03") {
      ledger.OnReplayOver();
      continue;
    }
    if (line == "\x04") {
      // A cycle a second after the last event, as the collection loop's clock would give (a wall
      // clock: before 2096 whatever time the events claim).
      model::Snapshot stats;
      stats.status.docker_up = true;
      const double now = std::min(static_cast<double>(ledger.last_time_nano()) / 1e9 + 1, 4e9);
      stats.status.collect_start_timestamp_seconds = now;
      for (std::size_t i = 0; i < seen.size(); i += 2) {
        model::Sandbox s;
        s.container_id = seen[i];
        s.agent_id = "cross-checked";
        s.start_time_seconds = now - 5;
        stats.sandboxes.push_back(s);
      }
      ledger.CrossCheck(stats, now - 10);
      continue;
    }
    collectors::Parsed<collectors::EngineEvent> event = collectors::ParseEvent(line);
    if (!event.value) continue;
    seen.push_back(event.value->container_id);
    ledger.Apply(*event.value);
  }
  ledger.View();
  return 0;
}
