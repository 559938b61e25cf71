// NamePattern: the name rules' matcher. The same answers as std::regex_match (ECMAScript) on every
// pattern and name below, including captures, and bounded work on inputs that made std::regex
// recurse once per character.

#include "collectors/identity/name_pattern.h"

#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

namespace evonic::collectors {
namespace {

// Patterns in plain ECMAScript (numbered groups), so std::regex can compile them as they are.
const std::vector<std::string> kPatterns = {
    R"(^evonic-((.+)-[0-9a-f]{8})$)",
    R"(^runpy-([a-zA-Z0-9_.-]{20})$)",
    R"(^(?:evonic|runpy)-(\w+?)-(\d+)$)",
    R"(^([^-]*)-(.*)$)",
    R"((a|ab)(c|bcd)(d*))",
    R"(^(a+)+b$)",
    R"(x{2,3}y{0,}z?)",
    R"(^([a-z]+)-\1$)",
    R"(^[\]\\-]+$)",
    R"(^\s*\S+\s*$)",
    R"((.*?)-(.*))",
    R"(^a{0}b$)",
    R"(^$)",
};
const std::vector<std::string> kInputs = {"",
                                          "evonic-data-analyst-e0d4d663",
                                          "evonic-admin-6f07b262",
                                          "evonic-x-0000000g",
                                          "runpy-abcdefghij0123456789",
                                          "runpy-abc",
                                          "evonic-ops-12345678",
                                          "abcd",
                                          "abcbcdd",
                                          "aaaab",
                                          "aaaa",
                                          "xxyz",
                                          "xxxxy",
                                          "abc-abc",
                                          "abc-abd",
                                          "]\\-]",
                                          " tab\t ",
                                          "a-b-c",
                                          "b",
                                          "x",
                                          "\n",
                                          "evonic-\n-01234567"};

TEST(NamePattern, AgreesWithStdRegexIncludingCaptures) {
  for (const std::string& p : kPatterns) {
    std::string error;
    auto ours = NamePattern::Compile(p, &error);
    ASSERT_TRUE(ours) << p << ": " << error;
    const std::regex theirs(p, std::regex::ECMAScript);
    for (const std::string& in : kInputs) {
      std::smatch m;
      const bool want = std::regex_match(in, m, theirs);
      auto got = ours->Match(in);
      ASSERT_EQ(got.has_value(), want) << "/" << p << "/ on '" << in << "'";
      if (!want) continue;
      ASSERT_EQ(got->size(), m.size()) << p;
      for (std::size_t g = 0; g < m.size(); ++g) {
        EXPECT_EQ((*got)[g].has_value(), m[g].matched) << p << " group " << g << " on " << in;
        if (m[g].matched) {
          EXPECT_EQ(std::string(*(*got)[g]), m[g].str()) << p << " " << g;
        }
      }
    }
  }
}

TEST(NamePattern, NamedGroupsAreNumberedInOrderOfTheirParenthesis) {
  std::string error;
  auto t =
      NamePattern::Compile(R"(^(?:x|y)(?<agent>[(a-z]+)-(\d+)(?<session>\k<agent>\(z\))$)", &error);
  ASSERT_TRUE(t) << error;
  // (?:...) does not count; [(a-z] holds a '(' that opens nothing; \( is a literal.
  EXPECT_EQ(t->groups().at("agent"), 1);
  EXPECT_EQ(t->groups().at("session"), 3);
  EXPECT_EQ(t->groups().size(), 2u);
  auto m = t->Match("xab-12ab(z)");
  ASSERT_TRUE(m);
  EXPECT_EQ(*(*m)[3], "ab(z)");
  EXPECT_FALSE(t->Match("xab-12ac(z)"));  // the back reference must repeat the agent
}

TEST(NamePattern, RefusesWhatItDoesNotSupportWithAReason) {
  for (const char* bad : {R"((?<session.+)", R"((?<a>x)\k<a)", R"((?<a>x)\kx)", R"((?=e)x)",
                          R"((?!e)x)", R"(a**)", R"(*a)", R"(a{3,2})", R"([z-a])", R"(\bx)",
                          R"((a)\2)", R"(x{1001})", R"(a\)", R"(\q)", "((((x", "x)"}) {
    std::string error;
    EXPECT_FALSE(NamePattern::Compile(bad, &error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
  std::string deep(200, '(');
  std::string error;
  EXPECT_FALSE(NamePattern::Compile(deep + "x" + std::string(200, ')'), &error));
  EXPECT_NE(error.find("deeply"), std::string::npos) << error;
}

TEST(NamePattern, LongInputsCostBoundedWorkAndNoStack) {
  std::string error;
  auto rule = NamePattern::Compile(R"(^evonic-((.+)-[0-9a-f]{8})$)", &error);
  ASSERT_TRUE(rule) << error;
  // 30,009 characters crashed std::regex in Release; 1 MiB is the fuzzing bound. Without back
  // references each (instruction, position) is tried once: a whole match, not a budget stop.
  const std::string name = "evonic-" + std::string(30000, 'a') + "-0123abcd";
  bool exhausted = true;
  auto m = rule->Match(name, &exhausted);
  ASSERT_TRUE(m);
  EXPECT_FALSE(exhausted);
  EXPECT_EQ((*m)[2]->size(), 30000u);
  // Exponential backtracking with a back reference stops at the step budget: no match, no hang.
  auto evil = NamePattern::Compile(R"(^(a*)*\1b$)", &error);
  ASSERT_TRUE(evil) << error;
  EXPECT_FALSE(evil->Match(std::string(64, 'a'), &exhausted));
  EXPECT_TRUE(exhausted);
  EXPECT_FALSE(rule->Match(std::string(1 << 20, 'a'), &exhausted));
}

}  // namespace
}  // namespace evonic::collectors
