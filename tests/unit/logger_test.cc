// Log line formatting: logfmt quoting and JSON validity.

#include "logging/logger.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>

namespace evonic::logging {
namespace {

TEST(LoggerLogfmt, BareAndQuotedValues) {
  Logger log(Level::kDebug, Format::kLogfmt, nullptr);
  const std::string line = log.FormatLine(Level::kWarn, "sandbox stats unusable",
                                          {{"container", "evonic-admin-6f07b262"},
                                           {"err", "HTTP 404: No such container"},
                                           {"quote", R"(say "hi")"},
                                           {"newline", "a\nb"},
                                           {"tab", "a\tb"},
                                           {"eq", "a=b"},
                                           {"backslash", R"(C:\x)"},
                                           {"empty", ""}});
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1) << "exactly one line";
  EXPECT_TRUE(std::regex_search(
      line, std::regex(R"(^ts=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z level=warn )")))
      << line;
  EXPECT_NE(line.find(R"( msg="sandbox stats unusable")"), std::string::npos) << line;
  EXPECT_NE(line.find(" container=evonic-admin-6f07b262 "), std::string::npos) << line;
  EXPECT_NE(line.find(R"( err="HTTP 404: No such container")"), std::string::npos) << line;
  EXPECT_NE(line.find(R"( quote="say \"hi\"")"), std::string::npos) << line;
  EXPECT_NE(line.find(R"( newline="a\nb")"), std::string::npos) << line;
  EXPECT_NE(line.find(R"( tab="a\tb")"), std::string::npos) << line;
  EXPECT_NE(line.find(R"( eq="a=b")"), std::string::npos) << line;
  EXPECT_NE(line.find(R"( backslash=C:\x)"), std::string::npos) << line;
  EXPECT_NE(line.find(R"( empty="")"), std::string::npos) << line;
}

TEST(LoggerLogfmt, BareMessageAndLevels) {
  Logger log(Level::kDebug, Format::kLogfmt, nullptr);
  EXPECT_NE(log.FormatLine(Level::kDebug, "x", {}).find(" level=debug msg=x\n"), std::string::npos);
  EXPECT_NE(log.FormatLine(Level::kInfo, "x", {}).find(" level=info "), std::string::npos);
  EXPECT_NE(log.FormatLine(Level::kError, "x", {}).find(" level=error "), std::string::npos);
  // A quote inside a value quoted because of it, with a backslash that must be escaped too.
  EXPECT_NE(log.FormatLine(Level::kInfo, "x", {{"k", R"(a\"b)"}}).find(R"( k="a\\\"b")"),
            std::string::npos);
}

TEST(LoggerJson, ValidJsonWithAllFields) {
  Logger log(Level::kDebug, Format::kJson, nullptr);
  const std::string line =
      log.FormatLine(Level::kError, "docker engine unreachable",
                     {{"err", "cannot connect to unix socket /var/run/docker.sock"},
                      {"quote", R"(say "hi" \ bye)"},
                      {"newline", "a\nb"},
                      {"bad_utf8", "x\xff"}});
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << line;
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["level"], "error");
  EXPECT_EQ(j["msg"], "docker engine unreachable");
  EXPECT_EQ(j["err"], "cannot connect to unix socket /var/run/docker.sock");
  EXPECT_EQ(j["quote"], R"(say "hi" \ bye)");
  EXPECT_EQ(j["newline"], "a\nb");
  EXPECT_TRUE(j["bad_utf8"].is_string());
  EXPECT_TRUE(std::regex_match(j["ts"].get<std::string>(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")));
}

TEST(Logger, DropsLinesBelowTheMinimumLevel) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  {
    Logger log(Level::kWarn, Format::kLogfmt, f);
    log.Info("dropped");
    log.Debug("dropped");
    log.Warn("kept", {{"k", "v"}});
  }
  std::rewind(f);
  std::string text;
  char buf[512];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, f)) text.append(buf, n);
  std::fclose(f);
  EXPECT_EQ(text.find("dropped"), std::string::npos) << text;
  EXPECT_NE(text.find("level=warn msg=kept k=v\n"), std::string::npos) << text;
}

TEST(Logger, ParseLevelAndFormat) {
  EXPECT_EQ(ParseLevel("debug"), Level::kDebug);
  EXPECT_EQ(ParseLevel("info"), Level::kInfo);
  EXPECT_EQ(ParseLevel("warn"), Level::kWarn);
  EXPECT_EQ(ParseLevel("error"), Level::kError);
  EXPECT_FALSE(ParseLevel("INFO").has_value());
  EXPECT_FALSE(ParseLevel("").has_value());
  EXPECT_EQ(ParseFormat("logfmt"), Format::kLogfmt);
  EXPECT_EQ(ParseFormat("json"), Format::kJson);
  EXPECT_FALSE(ParseFormat("text").has_value());
}

}  // namespace
}  // namespace evonic::logging
