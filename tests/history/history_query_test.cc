// The history endpoints' query string: times as unix seconds or RFC 3339, filters, page limit,
// cursor, and a clear reason for every refusal.

#include "exporter/render/history_query.h"

#include <gtest/gtest.h>

#include <string>

namespace evonic::exporter {
namespace {

TEST(ParseTimeParameter, UnixSecondsAndRfc3339) {
  EXPECT_EQ(ParseTimeParameter("1764201600"), 1764201600.0);
  EXPECT_EQ(ParseTimeParameter("1764201600.5"), 1764201600.5);
  EXPECT_EQ(ParseTimeParameter("2026-11-27T00:00:00Z"), 1795737600.0);
  EXPECT_EQ(ParseTimeParameter("2026-11-27T01:00:00+01:00"), 1795737600.0);
  EXPECT_EQ(ParseTimeParameter("2026-11-26T19:30:00-04:30"), 1795737600.0);
  EXPECT_EQ(ParseTimeParameter("1970-01-01T00:00:00.250Z"), 0.25);
  EXPECT_EQ(ParseTimeParameter("2024-02-29T12:00:00z"), 1709208000.0);  // a leap day
  for (const char* bad : {"", "yesterday", "-5", "1e9", "0x10", "2026-11-27", "2026-11-27T00:00:00",
                          "2026-13-01T00:00:00Z", "2026-11-27T24:00:00Z", "2026-11-27T00:00:00.Z",
                          "2026-11-27T00:00:00+1:00", "2026-11-27 00:00:00Z", "99999999999999"}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(ParseTimeParameter(bad).has_value());
  }
}

TEST(DecodeQueryValue, PercentAndPlus) {
  EXPECT_EQ(DecodeQueryValue("a%2Fb+c"), "a/b c");
  EXPECT_EQ(DecodeQueryValue("2026-11-27T01%3A00%3A00%2B01%3A00"), "2026-11-27T01:00:00+01:00");
  EXPECT_FALSE(DecodeQueryValue("a%2").has_value());
  EXPECT_FALSE(DecodeQueryValue("a%zz").has_value());
  EXPECT_FALSE(DecodeQueryValue("%").has_value());
}

TEST(ParseHistoryQuery, EveryParameter) {
  std::string error;
  auto q = ParseHistoryQuery(
      "since=1764201600&until=2026-11-27T00%3A00%3A00Z&agent_id=data-analyst&session_id=s%201"
      "&limit=10&cursor=42",
      &error);
  ASSERT_TRUE(q) << error;
  EXPECT_EQ(q->since, 1764201600.0);
  EXPECT_EQ(q->until, 1795737600.0);
  EXPECT_EQ(q->agent_id, "data-analyst");
  EXPECT_EQ(q->session_id, "s 1");
  EXPECT_EQ(q->limit, 10u);
  EXPECT_EQ(q->after_id, 42);
  auto defaults = ParseHistoryQuery("since=0", &error);
  ASSERT_TRUE(defaults);
  EXPECT_EQ(defaults->limit, kHistoryPageLimit);
  EXPECT_FALSE(defaults->until.has_value());
}

TEST(ParseHistoryQuery, RefusalsSayWhy) {
  struct Case {
    const char* query;
    const char* reason;
  };
  for (const Case& c :
       {Case{"", "since is required"}, Case{"until=5", "since is required"},
        Case{"since=soon", "neither unix seconds nor an RFC 3339 time"},
        Case{"since=10&until=5", "until is before since"}, Case{"since=0&limit=0", "limit must be"},
        Case{"since=0&limit=5001", "limit must be"}, Case{"since=0&cursor=-1", "cursor must be"},
        Case{"since=0&colour=red", "unknown parameter 'colour'"},
        Case{"since=%zz", "malformed percent-escape"}}) {
    SCOPED_TRACE(c.query);
    std::string error;
    EXPECT_FALSE(ParseHistoryQuery(c.query, &error));
    EXPECT_NE(error.find(c.reason), std::string::npos) << error;
  }
}

}  // namespace
}  // namespace evonic::exporter
