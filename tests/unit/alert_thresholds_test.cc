// Per-agent alert thresholds: parsing, resolution order, reload keeping the last good file, and
// the evonic_sandbox_alert_threshold_ratio series the alert rules join on.

#include "exporter/alert_thresholds.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "exporter/render/exposition.h"
#include "tests/support/captured_log.h"
#include "tests/support/test_sandboxes.h"

namespace evonic::exporter {
namespace {

std::shared_ptr<const AlertThresholds> MustParse(const std::string& text) {
  std::string error;
  auto t = ParseAlertThresholds(text, "t.yml", &error);
  EXPECT_NE(t, nullptr) << error;
  return t ? t : std::make_shared<const AlertThresholds>();
}

std::string MustFail(const std::string& text) {
  std::string error;
  EXPECT_EQ(ParseAlertThresholds(text, "t.yml", &error), nullptr) << text;
  EXPECT_NE(error.find("t.yml"), std::string::npos) << error;
  return error;
}

TEST(AlertThresholds, BuiltInDefaultIsNinetyPercent) {
  AlertThresholds t;
  EXPECT_DOUBLE_EQ(t.For("any", "cpu"), 0.9);
  EXPECT_DOUBLE_EQ(t.For("any", "memory"), 0.9);
  EXPECT_DOUBLE_EQ(MustParse("")->For("a", "cpu"), 0.9);
}

TEST(AlertThresholds, AgentOverrideThenFileDefaultThenBuiltIn) {
  auto t = MustParse(
      "default:\n  cpu: 0.8\nagents:\n  build-agent:\n    cpu: 0.98\n    memory: 0.5\n"
      "  web-agent:\n    memory: 0.7\n");
  EXPECT_DOUBLE_EQ(t->For("build-agent", "cpu"), 0.98);
  EXPECT_DOUBLE_EQ(t->For("build-agent", "memory"), 0.5);
  EXPECT_DOUBLE_EQ(t->For("web-agent", "cpu"), 0.8);     // file default
  EXPECT_DOUBLE_EQ(t->For("web-agent", "memory"), 0.7);  // override
  EXPECT_DOUBLE_EQ(t->For("other", "memory"), 0.9);      // built-in: the file has no memory default
}

TEST(AlertThresholds, JsonIsAccepted) {
  auto t = MustParse(R"({"default": {"cpu": 0.75}, "agents": {"a1": {"memory": 0.6}}})");
  EXPECT_DOUBLE_EQ(t->For("a1", "cpu"), 0.75);
  EXPECT_DOUBLE_EQ(t->For("a1", "memory"), 0.6);
}

TEST(AlertThresholds, RejectsWhatCannotBeMeant) {
  EXPECT_NE(MustFail("default:\n  cpu: 90\n").find("default.cpu"), std::string::npos);
  MustFail("default:\n  cpu: 0\n");
  MustFail("default:\n  cpu: -0.5\n");
  MustFail("default:\n  cpu: high\n");
  MustFail("default:\n  cpu: .nan\n");
  EXPECT_NE(MustFail("default:\n  disk: 0.5\n").find("unknown resource 'disk'"), std::string::npos);
  EXPECT_NE(MustFail("defaults:\n  cpu: 0.5\n").find("unknown key 'defaults'"), std::string::npos);
  EXPECT_NE(MustFail("agents:\n  a1:\n    cpu: 2\n").find("agents.a1.cpu"), std::string::npos);
  MustFail("agents: [a, b]\n");
  MustFail("default: 0.9\n");
  MustFail("[1, 2]\n");
  MustFail("default: {cpu: 0.9\n");  // not YAML
}

class TempFile {
 public:
  TempFile() {
    char name[] = "/tmp/thresholds-test-XXXXXX";
    int fd = mkstemp(name);
    EXPECT_GE(fd, 0);
    close(fd);
    path_ = name;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  void Write(const std::string& text) const { std::ofstream(path_) << text; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(AlertThresholdsStore, ReloadAppliesAGoodFileAndKeepsTheLastGoodOnABrokenOne) {
  TempFile file;
  file.Write("default:\n  cpu: 0.8\n");
  std::string error;
  auto initial = LoadAlertThresholds(file.path(), &error);
  ASSERT_NE(initial, nullptr) << error;
  AlertThresholdsStore store(file.path(), initial);
  test::CapturedLog log(logging::Level::kInfo);

  file.Write("default:\n  cpu: 0.6\nagents:\n  a1:\n    memory: 0.5\n");
  EXPECT_TRUE(store.Reload(log.logger()));
  EXPECT_DOUBLE_EQ(store.Current()->For("a1", "cpu"), 0.6);
  EXPECT_DOUBLE_EQ(store.Current()->For("a1", "memory"), 0.5);

  file.Write("default:\n  cpu: 60%\n");
  EXPECT_FALSE(store.Reload(log.logger()));
  EXPECT_DOUBLE_EQ(store.Current()->For("a1", "cpu"), 0.6);  // the last good file
  std::remove(file.path().c_str());
  EXPECT_FALSE(store.Reload(log.logger()));
  EXPECT_DOUBLE_EQ(store.Current()->For("a1", "memory"), 0.5);

  // Each failed reload says so once, naming the file.
  EXPECT_EQ(log.Count("thresholds reload failed"), 2) << log.Text();
  EXPECT_NE(log.Text().find(file.path()), std::string::npos);
}

TEST(AlertThresholds, AFileThatNeverEndsIsRefusedNotRead) {
  // Issue G.6: reading /dev/zero whole exhausted memory (std::bad_alloc, abort).
  std::string error;
  EXPECT_EQ(LoadAlertThresholds("/dev/zero", &error), nullptr);
  EXPECT_EQ(error, "/dev/zero: larger than 1 MiB; is this the right file?");
  AlertThresholdsStore store("/dev/zero", nullptr);
  test::CapturedLog log(logging::Level::kInfo);
  EXPECT_FALSE(store.Reload(log.logger()));
  EXPECT_DOUBLE_EQ(store.Current()->For("x", "cpu"), 0.9);  // the last good: built-in
}

TEST(AlertThresholdsStore, NoFileMeansBuiltInDefaultsAndNoReload) {
  AlertThresholdsStore store("", nullptr);
  test::CapturedLog log(logging::Level::kInfo);
  EXPECT_FALSE(store.Reload(log.logger()));
  EXPECT_DOUBLE_EQ(store.Current()->For("x", "cpu"), 0.9);
}

TEST(AlertThresholdRatio, OneSeriesPerLiveAgentAndResourceWithTheResolvedValue) {
  auto snapshot = std::make_shared<model::Snapshot>();
  snapshot->status.docker_up = true;
  snapshot->sandboxes = {test::SandboxOf("a1", "a1-00000001").Id('a').EvonicName().Build(),
                         test::SandboxOf("a1", "a1-00000002").Id('a').EvonicName().Build(),
                         test::SandboxOf("b2", "b2-00000003").Id('a').EvonicName().Build()};
  auto t = MustParse("agents:\n  a1:\n    cpu: 0.5\n");
  auto e = Render(snapshot, ProcessStats{}, BuildInfo{"v", "r"}, SessionLabeler(), t.get());
  const std::string& text = e->text;
  EXPECT_NE(text.find("evonic_sandbox_alert_threshold_ratio{agent_id=\"a1\",resource=\"cpu\"} 0.5"),
            std::string::npos)
      << text;
  EXPECT_NE(
      text.find("evonic_sandbox_alert_threshold_ratio{agent_id=\"a1\",resource=\"memory\"} 0.9"),
      std::string::npos);
  EXPECT_NE(text.find("evonic_sandbox_alert_threshold_ratio{agent_id=\"b2\",resource=\"cpu\"} 0.9"),
            std::string::npos);
  std::size_t series = 0;
  for (std::size_t at = text.find("\nevonic_sandbox_alert_threshold_ratio{");
       at != std::string::npos; at = text.find("\nevonic_sandbox_alert_threshold_ratio{", at + 1)) {
    ++series;
  }
  EXPECT_EQ(series, 4u);  // two agents x two resources, one per agent however many sandboxes

  // Without a thresholds file the default is published for every live agent all the same.
  auto d = Render(snapshot, ProcessStats{}, BuildInfo{"v", "r"});
  EXPECT_NE(
      d->text.find("evonic_sandbox_alert_threshold_ratio{agent_id=\"a1\",resource=\"cpu\"} 0.9"),
      std::string::npos);
}

}  // namespace
}  // namespace evonic::exporter
