#pragma once
// Helpers shared by the unit tests of the events side: recorded event streams, parsed, and the
// agent rule the exporter applies when there is no database.

#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "collectors/docker/event_parser.h"
#include "collectors/identity/identity.h"
#include "collectors/pipeline/event_ledger.h"
#include "tests/unit/test_util.h"

namespace evonic::test {

/// Every line of the recorded stream `relative` (under tests/fixtures), parsed; a test failure
/// for a line that does not parse.
inline std::vector<collectors::EngineEvent> RecordedEvents(const std::string& relative) {
  std::vector<collectors::EngineEvent> events;
  std::istringstream in(Fixture(relative));
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    auto parsed = collectors::ParseEvent(line);
    EXPECT_TRUE(parsed.value) << parsed.error << ": " << line;
    if (parsed.value) events.push_back(*parsed.value);
  }
  return events;
}

/// The name rules alone decide the agent (no database): evonic-<agent>-<8 hex>.
inline collectors::EventLedger::AgentOf NameRuleAgentOf() {
  std::string error;
  auto r = collectors::IdentityResolver::Create(
      {"evonic.agent_id", "evonic.session_id", {collectors::kDefaultNameRule}}, &error);
  EXPECT_TRUE(r) << error;
  return [rules = *r](const std::string& name, const std::map<std::string, std::string>& labels) {
    return rules.Resolve(name, labels).agent_id;
  };
}

}  // namespace evonic::test
