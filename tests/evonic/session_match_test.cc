// Resolving container-name session candidates: every rule checked through both MatchSession and
// SessionIndex, which must agree.

#include "collectors/evonic/session_match.h"

#include <gtest/gtest.h>

#include <memory>

namespace evonic::collectors {
namespace {

std::shared_ptr<const model::EvonicView> ViewWith(
    std::initializer_list<model::EvonicSession> list) {
  auto view = std::make_shared<model::EvonicView>();
  view->db_up = true;
  for (const auto& session : list) view->sessions.emplace(session.id, session);
  return view;
}

// The id both matchers give, or "" when they agree there is no match; a failure if they differ.
std::string Resolve(const std::shared_ptr<const model::EvonicView>& view,
                    const std::string& candidate) {
  const auto plain = MatchSession(*view, candidate);
  const auto indexed = SessionIndex(view).Match(candidate);
  EXPECT_EQ(plain.has_value(), indexed.has_value()) << candidate;
  if (plain && indexed) {
    EXPECT_EQ(plain->id, indexed->id) << candidate;
  }
  return plain ? plain->id : "";
}

TEST(SessionMatch, Sanitise) {
  EXPECT_EQ(SanitiseSessionId("data-analyst-e0d4d663"), "data-analyst-e0d4d663");
  EXPECT_EQ(SanitiseSessionId("a b/c@d:e_f.g"), "a-b-c-d-e_f.g");
  EXPECT_EQ(SanitiseSessionId("é"), "--") << "each byte outside the set";
}

TEST(SessionMatch, ExactIdAndAgentIdWithDash) {
  const auto view = ViewWith({{"data-analyst-e0d4d663", "data-analyst", "alice@example.com"},
                              {"admin-6f07b262", "admin", "bob@example.com"}});
  EXPECT_EQ(Resolve(view, "data-analyst-e0d4d663"), "data-analyst-e0d4d663");
  const auto session = MatchSession(*view, "data-analyst-e0d4d663");
  ASSERT_TRUE(session);
  EXPECT_EQ(session->agent_id, "data-analyst");
  EXPECT_EQ(Resolve(view, "admin-6f07b262"), "admin-6f07b262");
}

TEST(SessionMatch, SanitisedId) {
  const auto view = ViewWith({{"team:ops-1a2b3c4d", "team:ops", "carol@example.com"}});
  EXPECT_EQ(Resolve(view, "team-ops-1a2b3c4d"), "team:ops-1a2b3c4d");
}

TEST(SessionMatch, TwoSessionsWithOneSanitisedIdAreAmbiguous) {
  const auto view = ViewWith(
      {{"a@b-11111111", "a@b", "d@example.com"}, {"a#b-11111111", "a#b", "e@example.com"}});
  EXPECT_EQ(Resolve(view, "a-b-11111111"), "");
  EXPECT_EQ(Resolve(view, "a@b-11111111"), "a@b-11111111") << "the exact id still resolves";
}

TEST(SessionMatch, TruncatedPrefixOf20And40) {
  const std::string id = "research-assistant-long:name-0123abcd0123abcd-e0d4d663";  // 54 chars
  const auto view =
      ViewWith({{id, "research-assistant-long:name-0123abcd0123abcd", "f@example.com"},
                {"admin-6f07b262", "admin", "g@example.com"}});
  const std::string sanitised = SanitiseSessionId(id);
  EXPECT_EQ(Resolve(view, sanitised.substr(0, 20)), id);
  EXPECT_EQ(Resolve(view, sanitised.substr(0, 40)), id);
  EXPECT_EQ(Resolve(view, sanitised.substr(0, 19)), "") << "only truncation lengths are prefixes";
  EXPECT_EQ(Resolve(view, sanitised.substr(0, 30)), "");
  EXPECT_EQ(Resolve(view, "admin"), "");
}

TEST(SessionMatch, AmbiguousPrefixIsNoMatch) {
  const auto view =
      ViewWith({{"customer-support-bot-aaaaaaaa", "customer-support-bot", "h@x.org"},
                {"customer-support-bot-bbbbbbbb", "customer-support-bot", "i@x.org"}});
  EXPECT_EQ(Resolve(view, "customer-support-bot"), "");  // 20 characters, two sessions
  EXPECT_EQ(Resolve(view, "customer-support-bot-aaaaaaaa"), "customer-support-bot-aaaaaaaa");
}

TEST(SessionMatch, NotFoundAndEmpty) {
  const auto view = ViewWith({{"admin-6f07b262", "admin", "j@example.com"}});
  EXPECT_EQ(Resolve(view, "admin-00000000"), "");
  EXPECT_EQ(Resolve(view, ""), "");
  EXPECT_EQ(Resolve(ViewWith({}), "admin-6f07b262"), "");
  EXPECT_FALSE(SessionIndex(nullptr).Match("x"));
}

TEST(SessionMatch, IndexHandlesManySessions) {
  auto view = std::make_shared<model::EvonicView>();
  for (int i = 0; i < 100000; ++i) {
    char id[64];
    std::snprintf(id, sizeof id, "agent-%03d-%08x", i % 100,
                  static_cast<unsigned>(i) * 2654435761u);
    view->sessions.emplace(id, model::EvonicSession{id, "agent", "k@example.com"});
  }
  const auto& some = std::next(view->sessions.begin(), 4242)->first;
  const SessionIndex index(view);
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(index.Match(some));
    EXPECT_FALSE(index.Match("evonic-unknown-session"));
  }
}

}  // namespace
}  // namespace evonic::collectors
