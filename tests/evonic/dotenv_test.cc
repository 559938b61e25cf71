// .env parsing: the forms Evonic's .env files use, and lines that must be ignored.

#include "collectors/evonic/dotenv.h"

#include <gtest/gtest.h>

namespace evonic::collectors {
namespace {

TEST(Dotenv, PlainAssignmentsCommentsAndBlankLines) {
  const auto values = ParseDotenv(
      "# Evonic settings\n"
      "\n"
      "SANDBOX_MAX_CONTAINERS=12\n"
      "  SANDBOX_IMAGE = evonic-sandbox:latest  \n"
      "   # indented comment\n"
      "SANDBOX_NETWORK=none\r\n");
  ASSERT_EQ(values.size(), 3u);
  EXPECT_EQ(values.at("SANDBOX_MAX_CONTAINERS"), "12");
  EXPECT_EQ(values.at("SANDBOX_IMAGE"), "evonic-sandbox:latest");
  EXPECT_EQ(values.at("SANDBOX_NETWORK"), "none");
}

TEST(Dotenv, QuotesAndExportPrefix) {
  const auto values = ParseDotenv(
      "export A=\"7\"\n"
      "export\tB='8'\n"
      "C=\"a # not a comment\" # comment\n"
      "D='single \"inner\"'\n"
      "E=\"esc \\\" \\\\ \\n\"\n"
      "exportF=1\n");
  EXPECT_EQ(values.at("A"), "7");
  EXPECT_EQ(values.at("B"), "8");
  EXPECT_EQ(values.at("C"), "a # not a comment");
  EXPECT_EQ(values.at("D"), "single \"inner\"");
  EXPECT_EQ(values.at("E"), "esc \" \\ \n");
  EXPECT_EQ(values.at("exportF"), "1") << "'export' without a blank is part of the key";
}

TEST(Dotenv, InlineCommentsNeedABlankBefore) {
  const auto values = ParseDotenv("A=5 # five\nB=x#y\nC=#\nD=\n");
  EXPECT_EQ(values.at("A"), "5");
  EXPECT_EQ(values.at("B"), "x#y");
  EXPECT_EQ(values.at("C"), "#");
  EXPECT_EQ(values.at("D"), "");
}

TEST(Dotenv, IgnoredLinesAndLastValueWins) {
  const auto values = ParseDotenv(
      "NO_EQUALS\n"
      "=value without key\n"
      "Q=\"unterminated\n"
      "K=1\n"
      "K=2");  // no final newline
  EXPECT_EQ(values.count("NO_EQUALS"), 0u);
  EXPECT_EQ(values.count(""), 0u);
  EXPECT_EQ(values.count("Q"), 0u);
  EXPECT_EQ(values.at("K"), "2");
  EXPECT_TRUE(ParseDotenv("").empty());
}

}  // namespace
}  // namespace evonic::collectors
