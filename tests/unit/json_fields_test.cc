// Defensive JSON field reads and RFC 3339 times.

#include "collectors/docker/json_fields.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace evonic::collectors {
namespace {

using nlohmann::json;

TEST(UintField, AcceptsNonNegativeIntegersUpToTwoToThe62) {
  json j = {
      {"zero", 0}, {"n", 408107260852}, {"limit", std::uint64_t{1} << 62}, {"whole_float", 2.0e9}};
  EXPECT_EQ(UintField(j, "zero"), 0u);
  EXPECT_EQ(UintField(j, "n"), 408107260852u);
  EXPECT_EQ(UintField(j, "limit"), std::uint64_t{4611686018427387904u});  // 2^62 itself
  EXPECT_EQ(UintField(j, "whole_float"), 2000000000u);
}

TEST(UintField, RejectsEverythingElse) {
  json j = {{"neg", -1},
            {"sentinel", std::uint64_t{9223372036854771712u}},  // v1 "unlimited"
            {"above", (std::uint64_t{1} << 62) + 1},
            {"max", UINT64_MAX},
            {"frac", 1.5},
            {"negfloat", -2.0},
            {"huge_float", 1e30},
            {"str", "5"},
            {"null", nullptr},
            {"bool", true},
            {"arr", json::array({1})},
            {"obj", json::object({{"a", 1}})}};
  for (const char* k : {"neg", "sentinel", "above", "max", "frac", "negfloat", "huge_float", "str",
                        "null", "bool", "arr", "obj", "missing"}) {
    SCOPED_TRACE(k);
    EXPECT_FALSE(UintField(j, k).has_value());
  }
  EXPECT_FALSE(UintField(json::array({1, 2}), "0").has_value());
  EXPECT_FALSE(UintField(json(5), "x").has_value());
  EXPECT_FALSE(UintField(json(nullptr), "x").has_value());
}

TEST(IntField, SignedWithinTwoToThe62) {
  json j = {{"neg", -1},
            {"pos", 536870912},
            {"low", -(std::int64_t{1} << 62) - 1},
            {"sentinel", std::uint64_t{9223372036854771712u}},
            {"str", "-1"},
            {"frac", -0.5}};
  EXPECT_EQ(IntField(j, "neg"), -1);
  EXPECT_EQ(IntField(j, "pos"), 536870912);
  EXPECT_FALSE(IntField(j, "low").has_value());
  EXPECT_FALSE(IntField(j, "sentinel").has_value());
  EXPECT_FALSE(IntField(j, "str").has_value());
  EXPECT_FALSE(IntField(j, "frac").has_value());
  EXPECT_FALSE(IntField(j, "missing").has_value());
}

TEST(StringObjectArrayField, TypeChecked) {
  json j = {{"s", "x"}, {"n", 1}, {"o", json::object()}, {"a", json::array()}, {"z", nullptr}};
  EXPECT_EQ(StringField(j, "s"), "x");
  EXPECT_FALSE(StringField(j, "n").has_value());
  EXPECT_FALSE(StringField(j, "z").has_value());
  EXPECT_NE(ObjectField(j, "o"), nullptr);
  EXPECT_EQ(ObjectField(j, "a"), nullptr);
  EXPECT_EQ(ObjectField(j, "z"), nullptr);
  EXPECT_NE(ArrayField(j, "a"), nullptr);
  EXPECT_EQ(ArrayField(j, "o"), nullptr);
  EXPECT_EQ(ArrayField(j, "missing"), nullptr);
  EXPECT_EQ(ObjectField(json::array(), "o"), nullptr);
}

TEST(ParseRfc3339, DockerTimes) {
  // date -u -d 2026-11-26T04:06:47Z +%s = 1795666007
  auto t = ParseRfc3339("2026-11-26T04:06:47.30450985Z");
  ASSERT_TRUE(t.has_value());
  EXPECT_NEAR(*t, 1795666007.0 + 0.30450985, 1e-6);
  EXPECT_EQ(ParseRfc3339("2026-11-26T04:06:47Z"), 1795666007.0);
  // BuildTime in version.json: "2026-05-07T21:09:36.000000000+00:00"; an offset is subtracted.
  EXPECT_EQ(ParseRfc3339("2026-11-26T06:06:47+02:00"), 1795666007.0);
  EXPECT_EQ(ParseRfc3339("2026-11-26T03:36:47-00:30"), 1795666007.0);
  // 1970-01-01T00:00:00Z is 0.
  EXPECT_EQ(ParseRfc3339("1970-01-01T00:00:00Z"), 0.0);
}

TEST(ParseRfc3339, RejectsZeroTimeAndGarbage) {
  for (const char* bad :
       {"0001-01-01T00:00:00Z", "", "yesterday", "2026-11-26", "2026-11-26 04:06:47Z",
        "2026-11-26T04:06:47", "2026-11-26T04:06:47.Z", "2026-13-26T04:06:47Z",
        "2026-11-26T25:06:47Z", "2026-11-26T04:06:47Zjunk", "2026-11-26T04:06:47+0200"}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(ParseRfc3339(bad).has_value());
  }
}

}  // namespace
}  // namespace evonic::collectors
