// Command-line flags and durations.

#include "exporter/flags.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace evonic::exporter {
namespace {

using std::chrono::milliseconds;

Config MustParse(const std::vector<std::string>& args, const std::string& env = "") {
  ParsedFlags p = ParseFlags(args, env);
  EXPECT_TRUE(p.config.has_value()) << p.error;
  return p.config.value_or(Config{});
}

std::string MustFail(const std::vector<std::string>& args) {
  ParsedFlags p = ParseFlags(args, "");
  EXPECT_FALSE(p.config.has_value());
  EXPECT_FALSE(p.error.empty());
  return p.error;
}

TEST(ParseDuration, PrometheusStyle) {
  EXPECT_EQ(ParseDuration("5s"), milliseconds(5000));
  EXPECT_EQ(ParseDuration("500ms"), milliseconds(500));
  EXPECT_EQ(ParseDuration("1m30s"), milliseconds(60000 + 30000));
  EXPECT_EQ(ParseDuration("2h"), milliseconds(2 * 3600000));
  EXPECT_EQ(ParseDuration("1h1m1s1ms"), milliseconds(3600000 + 60000 + 1000 + 1));
  EXPECT_EQ(ParseDuration("1d"), milliseconds(86400000));
}

TEST(ParseDuration, Rejected) {
  for (const char* bad : {"0s", "0ms", "0m0s", "5", "abc", "", "s", "-5s", "1.5s", "5 s", " 5s",
                          "5s ", "5sec", "5S", "1m30", "ms5", "9999999999s", "30s1m", "5ms5ms"}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(ParseDuration(bad).has_value());
  }
}

TEST(ParseFlags, Defaults) {
  Config c = MustParse({});
  EXPECT_EQ(c.listen_address, ":9717");
  EXPECT_EQ(c.telemetry_path, "/metrics");
  EXPECT_EQ(c.max_connections, 32);
  EXPECT_EQ(c.docker_host, "unix:///var/run/docker.sock");
  EXPECT_EQ(c.label_filter, "evonic.managed=1");
  EXPECT_EQ(c.docker_timeout, milliseconds(10000));
  EXPECT_EQ(c.collect_interval, milliseconds(5000));
  EXPECT_EQ(c.max_containers, 10.0);  // Evonic's SANDBOX_MAX_CONTAINERS default
  EXPECT_EQ(c.identity.agent_label, "evonic.agent_id");
  EXPECT_EQ(c.identity.session_label, "evonic.session_id");
  EXPECT_EQ(c.identity.name_rules, std::vector<std::string>{collectors::kDefaultNameRule});
  EXPECT_EQ(c.procfs, "/proc");
  EXPECT_EQ(c.log_level, logging::Level::kInfo);
  EXPECT_EQ(c.log_format, logging::Format::kLogfmt);
  EXPECT_FALSE(c.show_help);
  EXPECT_FALSE(c.show_version);
}

TEST(ParseFlags, EqualsAndSeparateValueForms) {
  Config a = MustParse({"--collect.interval=2s", "--web.listen-address", "127.0.0.1:0",
                        "--log.level=debug", "--log.format", "json", "--path.procfs=/host/proc",
                        "--docker.timeout", "1500ms", "--web.telemetry-path=/m"});
  EXPECT_EQ(a.collect_interval, milliseconds(2000));
  EXPECT_EQ(a.listen_address, "127.0.0.1:0");
  EXPECT_EQ(a.log_level, logging::Level::kDebug);
  EXPECT_EQ(a.log_format, logging::Format::kJson);
  EXPECT_EQ(a.procfs, "/host/proc");
  EXPECT_EQ(a.docker_timeout, milliseconds(1500));
  EXPECT_EQ(a.telemetry_path, "/m");
}

TEST(ParseFlags, ValueContainingEquals) {
  Config c = MustParse({"--docker.label-filter=evonic.managed=1"});
  EXPECT_EQ(c.label_filter, "evonic.managed=1");
  Config d = MustParse({"--docker.label-filter", "com.example.sandbox=yes"});
  EXPECT_EQ(d.label_filter, "com.example.sandbox=yes");
}

TEST(ParseFlags, DockerHostEnvironmentAndFlag) {
  EXPECT_EQ(MustParse({}, "tcp://10.0.0.5:2375").docker_host, "tcp://10.0.0.5:2375");
  EXPECT_EQ(MustParse({"--docker.host=unix:///run/user/1000/docker.sock"}, "tcp://10.0.0.5:2375")
                .docker_host,
            "unix:///run/user/1000/docker.sock");
  EXPECT_EQ(MustParse({"--docker.host", "tcp://127.0.0.1:2375"}, "").docker_host,
            "tcp://127.0.0.1:2375");
  EXPECT_EQ(MustParse({}, "").docker_host, "unix:///var/run/docker.sock");
}

TEST(ParseFlags, UnknownFlag) {
  EXPECT_NE(MustFail({"--no.such-flag=1"}).find("no.such-flag"), std::string::npos);
  EXPECT_NE(MustFail({"--no.such-flag", "1"}).find("no.such-flag"), std::string::npos);
  MustFail({"positional"});
  MustFail({"-v"});
}

TEST(ParseFlags, BadValues) {
  EXPECT_NE(MustFail({"--collect.interval=abc"}).find("collect.interval"), std::string::npos);
  MustFail({"--collect.interval=0s"});
  MustFail({"--docker.timeout", "5"});
  MustFail({"--log.level=verbose"});
  MustFail({"--log.format=text"});
  MustFail({"--web.telemetry-path=metrics"});
  MustFail({"--web.telemetry-path=/"});
  MustFail({"--web.telemetry-path=/healthz"});
  MustFail({"--docker.host="});
  MustFail({"--web.listen-address="});
  MustFail({"--identity.name-rule="});
}

TEST(ParseFlags, MissingValueAtTheEnd) {
  EXPECT_NE(MustFail({"--docker.host"}).find("docker.host"), std::string::npos);
}

TEST(ParseFlags, RepeatedNameRuleReplacesTheDefault) {
  const std::string runpy = R"(^runpy-(?<session>(?<agent>.+)-[0-9a-f]{8})$)";
  const std::string legacy = R"(^evonic-(?<agent>.{1,20})-(?<session>\k<agent>(-.*)?)$)";
  Config one = MustParse({"--identity.name-rule=" + runpy});
  EXPECT_EQ(one.identity.name_rules, std::vector<std::string>{runpy});
  Config two = MustParse({"--identity.name-rule", collectors::kDefaultNameRule,
                          "--identity.name-rule=" + runpy, "--identity.name-rule", legacy});
  EXPECT_EQ(two.identity.name_rules,
            (std::vector<std::string>{collectors::kDefaultNameRule, runpy, legacy}));
}

TEST(ParseFlags, EmptyLabelKeysAllowed) {
  Config c = MustParse({"--identity.agent-label=", "--identity.session-label="});
  EXPECT_EQ(c.identity.agent_label, "");
  EXPECT_EQ(c.identity.session_label, "");
}

TEST(ParseFlags, HelpAndVersion) {
  EXPECT_TRUE(MustParse({"-h"}).show_help);
  EXPECT_TRUE(MustParse({"--help"}).show_help);
  EXPECT_TRUE(MustParse({"--version"}).show_version);
  EXPECT_NE(Usage().find("--identity.name-rule"), std::string::npos);
}

TEST(ParseFlags, MaxContainersLowerBoundAndFormat) {
  EXPECT_EQ(MustParse({"--sandbox.max-containers=1"}).max_containers, 1.0);
  EXPECT_EQ(MustParse({"--sandbox.max-containers", "100"}).max_containers, 100.0);
  for (const char* bad : {"0", "-3", "abc", "10x", "", "1.5"}) {
    SCOPED_TRACE(bad);
    MustFail({std::string("--sandbox.max-containers=") + bad});
  }
}

TEST(ParseFlags, MaxConnections) {
  EXPECT_EQ(MustParse({"--web.max-connections=128"}).max_connections, 128);
  EXPECT_EQ(MustParse({"--web.max-connections", "4"}).max_connections, 4);
  for (const char* bad : {"3", "1025", "-1", "many", "", "8.5"}) {
    SCOPED_TRACE(bad);
    MustFail({std::string("--web.max-connections=") + bad});
  }
}

TEST(ParseFlags, UiFrameAncestors) {
  EXPECT_EQ(MustParse({}).ui_frame_ancestors, "'none'");
  EXPECT_EQ(
      MustParse({"--web.ui.frame-ancestors='self' https://evonic.example.com"}).ui_frame_ancestors,
      "'self' https://evonic.example.com");
  // One CSP value: nothing that starts another directive, policy or header line.
  for (const char* bad : {"", "'self'; script-src *", "a, b", "x\r\nSet-Cookie: y", "\x7f"}) {
    SCOPED_TRACE(bad);
    MustFail({std::string("--web.ui.frame-ancestors=") + bad});
  }
}

TEST(ParseFlags, MaxContainersUpperBoundIsEvonics) {
  // Evonic allows SANDBOX_MAX_CONTAINERS 1..100 (facts file); a larger pool cannot exist.
  ParsedFlags p = ParseFlags({"--sandbox.max-containers=101"}, "");
  EXPECT_FALSE(p.config.has_value());
  EXPECT_FALSE(p.error.empty());
  ParsedFlags ok = ParseFlags({"--sandbox.max-containers=100"}, "");
  ASSERT_TRUE(ok.config.has_value()) << ok.error;
  EXPECT_EQ(ok.config->max_containers, 100);
}

TEST(ParseFlags, ThresholdsFile) {
  EXPECT_EQ(MustParse({}).thresholds_file, "");  // built-in 0.9 for every agent
  EXPECT_EQ(MustParse({"--thresholds.file=/etc/t.yml"}).thresholds_file, "/etc/t.yml");
  EXPECT_EQ(MustParse({"--thresholds.file", "t.json"}).thresholds_file, "t.json");
  MustFail({"--thresholds.file="});
}

}  // namespace
}  // namespace evonic::exporter
