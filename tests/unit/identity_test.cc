// Agent and session ids from container labels and names: today's Evonic naming, the earlier ones
// expressed as rules, and rule validation.

#include "collectors/identity/identity.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace evonic::collectors {
namespace {

using Labels = std::map<std::string, std::string>;

IdentityResolver Make(std::vector<std::string> rules, std::string agent_label = "evonic.agent_id",
                      std::string session_label = "evonic.session_id") {
  IdentityResolver::Options o;
  o.agent_label = std::move(agent_label);
  o.session_label = std::move(session_label);
  o.name_rules = std::move(rules);
  std::string error;
  auto r = IdentityResolver::Create(o, &error);
  EXPECT_TRUE(r.has_value()) << error;
  if (!r) {
    o.name_rules = {kDefaultNameRule};
    r = IdentityResolver::Create(o, &error);
  }
  return *r;
}

std::string CreateError(std::vector<std::string> rules) {
  IdentityResolver::Options o;
  o.name_rules = std::move(rules);
  std::string error;
  auto r = IdentityResolver::Create(o, &error);
  EXPECT_FALSE(r.has_value());
  return error;
}

void ExpectIdentity(const Identity& id, const std::string& agent, const std::string& session,
                    bool matched) {
  EXPECT_EQ(id.agent_id, agent);
  EXPECT_EQ(id.session_id, session);
  EXPECT_EQ(id.matched, matched);
}

// Today's naming: evonic-<session_id>, session_id = <agent_id>-<8 hex>.
TEST(IdentityDefaultRule, TodaysNaming) {
  IdentityResolver r = Make({kDefaultNameRule});
  // The facts file's example: Evonic made this container for agent data-analyst.
  ExpectIdentity(r.Resolve("evonic-data-analyst-e0d4d663", {}), "data-analyst",
                 "data-analyst-e0d4d663", true);
  ExpectIdentity(r.Resolve("evonic-admin-6f07b262", {}), "admin", "admin-6f07b262", true);
  // Agent ids with several '-'.
  ExpectIdentity(r.Resolve("evonic-my-very-long-agent-id-0123abcd", {}), "my-very-long-agent-id",
                 "my-very-long-agent-id-0123abcd", true);
  // Agent ids whose parts look like hex.
  ExpectIdentity(r.Resolve("evonic-deadbeef-cafe-89abcdef", {}), "deadbeef-cafe",
                 "deadbeef-cafe-89abcdef", true);
}

TEST(IdentityDefaultRule, NamesTodaysRuleDoesNotMatch) {
  IdentityResolver r = Make({kDefaultNameRule});
  for (const char* name : {"hand-made-box", "evonic-labelled", "evonic-admin-6F07B262",
                           "evonic-admin-6f07b26", "evonic-admin-6f07b2620", "evonic--6f07b262",
                           "xevonic-admin-6f07b262", "evonic-6c1d9542-admin", ""}) {
    SCOPED_TRACE(name);
    ExpectIdentity(r.Resolve(name, {}), kUnknownAgent, name, false);
  }
}

TEST(IdentityDefaultRule, TwoUnmatchedStayDistinct) {
  IdentityResolver r = Make({kDefaultNameRule});
  Identity a = r.Resolve("hand-made-box", {{"evonic.managed", "1"}});
  Identity b = r.Resolve("another-box", {{"evonic.managed", "1"}});
  ExpectIdentity(a, "unknown", "hand-made-box", false);
  ExpectIdentity(b, "unknown", "another-box", false);
  EXPECT_NE(a.session_id, b.session_id);
}

TEST(IdentityLabels, LabelsWinOverTheName) {
  IdentityResolver r = Make({kDefaultNameRule});
  // The recorded evonic-labelled container.
  ExpectIdentity(r.Resolve("evonic-labelled",
                           {{"evonic.agent_id", "ops"}, {"evonic.session_id", "ops-12345678"}}),
                 "ops", "ops-12345678", true);
  // Even when the name matches a rule with other ids.
  ExpectIdentity(r.Resolve("evonic-data-analyst-e0d4d663",
                           {{"evonic.agent_id", "ops"}, {"evonic.session_id", "ops-12345678"}}),
                 "ops", "ops-12345678", true);
}

TEST(IdentityLabels, EmptyLabelValuesAreIgnored) {
  IdentityResolver r = Make({kDefaultNameRule});
  ExpectIdentity(r.Resolve("evonic-data-analyst-e0d4d663",
                           {{"evonic.agent_id", ""}, {"evonic.session_id", ""}}),
                 "data-analyst", "data-analyst-e0d4d663", true);
}

TEST(IdentityLabels, NoLabelKeysConfiguredIgnoresLabels) {
  IdentityResolver r = Make({kDefaultNameRule}, "", "");
  ExpectIdentity(r.Resolve("evonic-data-analyst-e0d4d663",
                           {{"evonic.agent_id", "ops"}, {"evonic.session_id", "ops-12345678"}}),
                 "data-analyst", "data-analyst-e0d4d663", true);
  ExpectIdentity(r.Resolve("evonic-labelled", {{"", "x"}}), "unknown", "evonic-labelled", false);
}

// runpy-<session_id, first 40 chars> (until 2026-05-15).
TEST(IdentityEarlierNamings, RunpyFullSessionId) {
  IdentityResolver r = Make({kDefaultNameRule, R"(^runpy-(?<session>(?<agent>.+)-[0-9a-f]{8})$)"});
  // "data-analyst-e0d4d663" is 21 chars: not truncated.
  ExpectIdentity(r.Resolve("runpy-data-analyst-e0d4d663", {}), "data-analyst",
                 "data-analyst-e0d4d663", true);
  // Today's names still resolve through the first rule.
  ExpectIdentity(r.Resolve("evonic-admin-6f07b262", {}), "admin", "admin-6f07b262", true);
}

TEST(IdentityEarlierNamings, RunpyTruncatedSessionIdWithSessionOnlyRule) {
  IdentityResolver r =
      Make({R"(^runpy-(?<session>(?<agent>.+)-[0-9a-f]{8})$)", R"(^runpy-(?<session>.{1,40})$)"});
  // Session "customer-support-assistant-europe-west-1a2b3c4d" (47 chars) cut to its first 40:
  // "customer-support-assistant-europe-west-" + "1" .
  const std::string name = std::string("runpy-") + "customer-support-assistant-europe-west-1";
  ASSERT_EQ(name.size(), 6u + 40u);
  // The first rule needs 8 hex at the end: no match. The second gives a session prefix but no
  // agent: without an agent label the sandbox is unmatched, agent "unknown", with that prefix.
  ExpectIdentity(r.Resolve(name, {}), "unknown", "customer-support-assistant-europe-west-1", false);
  // With the agent from a label, the session-only rule completes the identity.
  ExpectIdentity(r.Resolve(name, {{"evonic.agent_id", "customer-support-assistant-europe-west"}}),
                 "customer-support-assistant-europe-west",
                 "customer-support-assistant-europe-west-1", true);
}

// evonic-<agent_id, first 20>-<session_id, first 20> (a few hours after 2026-05-15).
constexpr const char* kAgentSessionRule =
    R"(^evonic-(?<agent>.{1,20})-(?<session>\k<agent>(-.*)?)$)";

TEST(IdentityEarlierNamings, AgentAndSessionPrefixes) {
  IdentityResolver r = Make({kDefaultNameRule, kAgentSessionRule});
  // agent "data-analyst" (12 chars, whole); session "data-analyst-e0d4d663" cut to 20 chars:
  // "data-analyst-e0d4d66".
  ExpectIdentity(r.Resolve("evonic-data-analyst-data-analyst-e0d4d66", {}), "data-analyst",
                 "data-analyst-e0d4d66", true);
}

TEST(IdentityEarlierNamings, AgentLongerThanTwentyChars) {
  IdentityResolver r = Make({kDefaultNameRule, kAgentSessionRule});
  // agent "customer-support-agent-eu" (25 chars) -> "customer-support-age" (20);
  // session "customer-support-agent-eu-1a2b3c4d" -> "customer-support-age" (20).
  ExpectIdentity(r.Resolve("evonic-customer-support-age-customer-support-age", {}),
                 "customer-support-age", "customer-support-age", true);
  // A name whose second half does not repeat the first is not this scheme.
  ExpectIdentity(r.Resolve("evonic-customer-support-age-someone-else-entirely", {}), "unknown",
                 "evonic-customer-support-age-someone-else-entirely", false);
}

TEST(IdentityRules, TriedInOrderFirstMatchWins) {
  const std::string first_word = R"(^evonic-(?<session>(?<agent>[a-z]+)-.*)$)";
  IdentityResolver a = Make({first_word, kDefaultNameRule});
  ExpectIdentity(a.Resolve("evonic-data-analyst-e0d4d663", {}), "data", "data-analyst-e0d4d663",
                 true);
  IdentityResolver b = Make({kDefaultNameRule, first_word});
  ExpectIdentity(b.Resolve("evonic-data-analyst-e0d4d663", {}), "data-analyst",
                 "data-analyst-e0d4d663", true);
  // The second rule is reached when the first does not match.
  ExpectIdentity(b.Resolve("evonic-data-analyst-nothex", {}), "data", "data-analyst-nothex", true);
}

TEST(IdentityRules, LabelSuppliesWhatTheNameLacks) {
  IdentityResolver r = Make({kDefaultNameRule});
  // Only the session label: the agent comes from the name rule.
  ExpectIdentity(r.Resolve("evonic-data-analyst-e0d4d663", {{"evonic.session_id", "s-1"}}),
                 "data-analyst", "s-1", true);
}

TEST(IdentityRules, BadRulesAreRejectedWithAReason) {
  EXPECT_NE(CreateError({R"(^evonic-(?<agent>.+)$)"}).find("session"), std::string::npos);
  EXPECT_NE(CreateError({R"(^evonic-(.+)$)"}).find("session"), std::string::npos);
  EXPECT_FALSE(CreateError({R"(^evonic-(?<session>.+$)"}).empty());      // unbalanced
  EXPECT_FALSE(CreateError({R"(^evonic-(?<session>[a-z+)$)"}).empty());  // unclosed class
  EXPECT_NE(CreateError({R"(^evonic-(?<session>\k<agent>-.*)$)"}).find("earlier"),
            std::string::npos);  // \k to a group not defined (yet)
  EXPECT_FALSE(CreateError({R"(^(?<session>.+)-\k<nope>$)"}).empty());
  EXPECT_FALSE(CreateError({R"(^(?<session>.+)(?<session>.+)$)"}).empty());  // repeated name
  EXPECT_FALSE(CreateError({R"(^(?<>.+)(?<session>.+)$)"}).empty());         // empty name
  // One bad rule among good ones rejects the whole configuration, naming the rule.
  const std::string e = CreateError({kDefaultNameRule, "^runpy-(?<session>"});
  EXPECT_NE(e.find("^runpy-(?<session>"), std::string::npos) << e;
}

TEST(IdentityBounds, NamesAndLabelsOverTheLimitAreNotReadAndDoNotCrash) {
  // Docker accepts names of 30,000 characters; std::regex recursed once per character and
  // overflowed the collection thread's stack on such a name (issue G.1). Up to 1 MiB here.
  IdentityResolver r = Make({kDefaultNameRule});
  for (std::size_t size : {kMaxIdentityInputBytes - 16, kMaxIdentityInputBytes + 1,
                           std::size_t{30009}, std::size_t{1} << 20}) {
    const std::string name = "evonic-" + std::string(size - 16, 'a') + "-0123abcd";
    Identity id = r.Resolve(name, {});
    if (name.size() <= kMaxIdentityInputBytes) {
      EXPECT_TRUE(id.matched) << size;
      continue;
    }
    EXPECT_FALSE(id.matched) << size;
    EXPECT_EQ(id.agent_id, kUnknownAgent);
    EXPECT_EQ(id.session_id, name.substr(0, kMaxUnmatchedSessionBytes));
  }
  const std::string long_label(kMaxIdentityInputBytes + 1, 'x');
  Identity id = r.Resolve("evonic-ops-12345678",
                          {{"evonic.agent_id", long_label}, {"evonic.session_id", long_label}});
  ExpectIdentity(id, "ops", "ops-12345678", true);  // the labels were ignored, the name used
}

}  // namespace
}  // namespace evonic::collectors

namespace evonic::collectors {
namespace {

TEST(IdentityLabels, OnlyAnAgentLabelAndNoMatchingNameIsUnknownAgent) {
  // identity.h: "matched is false when no label and no name rule gave both ids; such a sandbox is
  // still exported, as agent "unknown" with its container name as session id."
  IdentityResolver r = Make({kDefaultNameRule});
  Identity id = r.Resolve("hand-made-box", {{"evonic.agent_id", "ops"}});
  EXPECT_FALSE(id.matched);
  EXPECT_EQ(id.session_id, "hand-made-box");
  EXPECT_EQ(id.agent_id, kUnknownAgent);
}

}  // namespace
}  // namespace evonic::collectors
