// The engine's /version, /containers/json, /containers/{id}/json and error answers, recorded from
// Docker 20.10 (tests/fixtures/engine-docker20.10).

#include "collectors/docker/engine_answers.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "tests/unit/test_util.h"

namespace evonic::collectors {
namespace {

using nlohmann::json;
using test::Fixture;

ApiVersion V(int major, int minor) { return ApiVersion{major, minor}; }

TEST(ApiVersion, ParseAndToString) {
  auto v = ApiVersion::Parse("1.41");
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->major, 1);
  EXPECT_EQ(v->minor, 41);
  EXPECT_EQ(v->ToString(), "1.41");
  EXPECT_EQ(ApiVersion::Parse("1.9")->ToString(), "1.9");
  for (const char* bad : {"", "1", "1.", ".41", "v1.41", "1.41.0", "1.x", "a.b", "1.41 ", "-1.2"}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(ApiVersion::Parse(bad).has_value());
  }
}

TEST(ApiVersion, OrderedNumerically) {
  EXPECT_TRUE(*ApiVersion::Parse("1.9") < *ApiVersion::Parse("1.41"));
  EXPECT_FALSE(*ApiVersion::Parse("1.41") < *ApiVersion::Parse("1.9"));
  EXPECT_TRUE(V(1, 41) < V(2, 0));
  EXPECT_FALSE(V(1, 41) < V(1, 41));
  EXPECT_TRUE(V(1, 41) == *ApiVersion::Parse("1.41"));
}

TEST(ParseVersion, RecordedDocker2010) {
  auto v = ParseVersion(Fixture("engine-docker20.10/version.json"));
  ASSERT_TRUE(v.value.has_value()) << v.error;
  EXPECT_EQ(v.value->api, V(1, 41));  // "ApiVersion":"1.41"
  ASSERT_TRUE(v.value->min_api.has_value());
  EXPECT_EQ(*v.value->min_api, V(1, 12));  // "MinAPIVersion":"1.12"
  EXPECT_EQ(v.value->engine_version, "20.10.24+dfsg1");
  EXPECT_EQ(NegotiateApiVersion(*v.value), V(1, 41));
}

TEST(ParseVersion, BadAnswers) {
  for (const std::string& body :
       {std::string("not json"), std::string("[]"), std::string("{}"),
        std::string(R"({"ApiVersion": 1.41})"), std::string(R"({"ApiVersion": "latest"})"),
        Fixture("engine-docker20.10/error-400-version-too-old.json"),
        Fixture("engine-docker20.10/error-400-version-too-new.json")}) {
    SCOPED_TRACE(body);
    auto v = ParseVersion(body);
    EXPECT_FALSE(v.value.has_value());
    EXPECT_FALSE(v.error.empty());
  }
}

TEST(NegotiateApiVersion, Rules) {
  // Engine 1.41 (newest tested): 1.41.
  EXPECT_EQ(NegotiateApiVersion({V(1, 41), V(1, 12), ""}), V(1, 41));
  // Newer engine whose minimum is above the newest tested: the minimum.
  EXPECT_EQ(NegotiateApiVersion({V(1, 52), V(1, 44), ""}), V(1, 44));
  // Newer engine that still accepts 1.41: 1.41.
  EXPECT_EQ(NegotiateApiVersion({V(1, 52), V(1, 24), ""}), V(1, 41));
  // Older engine: its own.
  EXPECT_EQ(NegotiateApiVersion({V(1, 40), V(1, 12), ""}), V(1, 40));
  EXPECT_EQ(NegotiateApiVersion({V(1, 30), std::nullopt, ""}), V(1, 30));
  EXPECT_EQ(NegotiateApiVersion({V(1, 52), std::nullopt, ""}), V(1, 41));
}

TEST(ParseContainerList, RecordedList) {
  auto list = ParseContainerList(Fixture("engine-docker20.10/containers.json"));
  ASSERT_TRUE(list.value.has_value()) << list.error;
  ASSERT_EQ(list.value->size(), 4u);
  const auto& c = *list.value;
  // Newest first, as recorded.
  EXPECT_EQ(c[0].id, "2c7c125b0113a87e0bfdb0b85d5987e522df9d7ab3bb6bdf7d62ae418592eac4");
  EXPECT_EQ(c[0].name, "evonic-labelled");
  EXPECT_EQ(c[1].id, "738a1598226385dfe2089031bcbf0b7d132592ad6b6de6565011f739c0d9a6af");
  EXPECT_EQ(c[1].name, "hand-made-box");
  EXPECT_EQ(c[2].id, "890cbff6a020a6a20b5351c152fea3e2f28f025dea337b7fd86d9f0861c896ec");
  EXPECT_EQ(c[2].name, "evonic-admin-6f07b262");
  EXPECT_EQ(c[3].id, "58a261e59700f53aba5560db9ba4700c5aa273a7d53a88fbe554328f67a4bb92");
  EXPECT_EQ(c[3].name, "evonic-data-analyst-e0d4d663");
  for (const ContainerRef& ref : c) EXPECT_EQ(ref.image, "evonic-sandbox:test");
  const std::map<std::string, std::string> labelled = {{"evonic.agent_id", "ops"},
                                                       {"evonic.created_at", "1795697378"},
                                                       {"evonic.managed", "1"},
                                                       {"evonic.pid", "1"},
                                                       {"evonic.session_id", "ops-12345678"}};
  EXPECT_EQ(c[0].labels, labelled);
  const std::map<std::string, std::string> plain = {
      {"evonic.created_at", "1795697378"}, {"evonic.managed", "1"}, {"evonic.pid", "1"}};
  EXPECT_EQ(c[3].labels, plain);
}

TEST(ParseContainerList, EmptyAndBadAnswers) {
  auto empty = ParseContainerList("[]");
  ASSERT_TRUE(empty.value.has_value());
  EXPECT_TRUE(empty.value->empty());
  for (const char* body : {"", "{}", "{\"message\":\"x\"}", "[{\"Id\":", "null"}) {
    SCOPED_TRACE(body);
    auto list = ParseContainerList(body);
    EXPECT_FALSE(list.value.has_value());
    EXPECT_FALSE(list.error.empty());
  }
}

TEST(ParseContainerList, UnusableEntriesAreSkippedOthersKept) {
  json list = json::parse(Fixture("engine-docker20.10/containers.json"));
  list[0].erase("Id");                  // evonic-labelled: no id, skipped
  list[1]["Id"] = 42;                   // hand-made-box: id not a string, skipped
  list[2]["Names"] = nullptr;           // admin: kept, no name
  list[3]["Labels"]["evonic.pid"] = 1;  // data-analyst: a non-string label is dropped
  list.push_back(17);                   // not an object
  auto parsed = ParseContainerList(list.dump());
  ASSERT_TRUE(parsed.value.has_value()) << parsed.error;
  ASSERT_EQ(parsed.value->size(), 2u);
  EXPECT_EQ((*parsed.value)[0].id,
            "890cbff6a020a6a20b5351c152fea3e2f28f025dea337b7fd86d9f0861c896ec");
  EXPECT_EQ((*parsed.value)[0].name, "");
  EXPECT_EQ((*parsed.value)[1].name, "evonic-data-analyst-e0d4d663");
  EXPECT_EQ((*parsed.value)[1].labels.count("evonic.pid"), 0u);
  EXPECT_EQ((*parsed.value)[1].labels.at("evonic.managed"), "1");
}

struct InspectCase {
  const char* file;
  std::optional<double> memory_bytes, cpu_cores, pids;
  double started;  // State.StartedAt in seconds since the epoch
};

TEST(ParseInspect, RecordedLimitsImageModeAndStartTime) {
  // date -u -d 2026-11-26T12:49:38Z +%s = 1795697378; 12:49:39Z = 1795697379
  const InspectCase cases[] = {
      // --memory=512m --cpus=1 --pids-limit=256: Memory 536870912, NanoCpus 1000000000
      {"inspect/evonic-data-analyst-e0d4d663.json", 512.0 * 1024 * 1024, 1000000000 / 1e9, 256,
       1795697378.0 + 0.994098385},  // "2026-11-26T12:49:38.994098385Z"
      {"inspect/evonic-admin-6f07b262.json", 512.0 * 1024 * 1024, 1000000000 / 1e9, 256,
       1795697379.0 + 0.246079728},  // "2026-11-26T12:49:39.246079728Z"
      // --memory=256m --cpu-quota=50000 --cpu-period=100000 --pids-limit=64
      {"inspect/evonic-labelled.json", 256.0 * 1024 * 1024, 50000.0 / 100000.0, 64,
       1795697379.0 + 0.715847822},  // "2026-11-26T12:49:39.715847822Z"
      // no limits: Memory 0, NanoCpus 0, CpuQuota 0, PidsLimit null
      {"inspect/hand-made-box.json", std::nullopt, std::nullopt, std::nullopt,
       1795697379.0 + 0.485228087},  // "2026-11-26T12:49:39.485228087Z"
      {"inspect-stopped/hand-made-box.json", std::nullopt, std::nullopt, std::nullopt,
       1795697379.0 + 0.485228087},
  };
  for (const InspectCase& c : cases) {
    SCOPED_TRACE(c.file);
    auto d = ParseInspect(Fixture(std::string("engine-docker20.10/") + c.file));
    ASSERT_TRUE(d.value.has_value()) << d.error;
    EXPECT_EQ(d.value->limits.memory_bytes, c.memory_bytes);
    EXPECT_EQ(d.value->limits.cpu_cores, c.cpu_cores);
    EXPECT_EQ(d.value->limits.pids, c.pids);
    EXPECT_EQ(d.value->network_mode, "none");
    EXPECT_EQ(d.value->image, "evonic-sandbox:test");  // Config.Image, not the sha256 Image
    ASSERT_TRUE(d.value->start_time_seconds.has_value());
    EXPECT_NEAR(*d.value->start_time_seconds, c.started, 1e-6);
  }
}

TEST(ParseInspect, ExactLimitValues) {
  auto d = ParseInspect(Fixture("engine-docker20.10/inspect/evonic-data-analyst-e0d4d663.json"));
  ASSERT_TRUE(d.value.has_value());
  EXPECT_EQ(d.value->limits.memory_bytes, 536870912.0);  // 512m exactly
  EXPECT_EQ(d.value->limits.cpu_cores, 1.0);
  auto l = ParseInspect(Fixture("engine-docker20.10/inspect/evonic-labelled.json"));
  ASSERT_TRUE(l.value.has_value());
  EXPECT_EQ(l.value->limits.cpu_cores, 0.5);
  EXPECT_EQ(l.value->limits.memory_bytes, 268435456.0);
}

TEST(ParseInspect, HostileHostConfig) {
  json j = json::parse(Fixture("engine-docker20.10/inspect/evonic-labelled.json"));
  j["HostConfig"]["CpuPeriod"] = 0;  // quota without a period: the kernel's 100 ms default
  auto d = ParseInspect(j.dump());
  ASSERT_TRUE(d.value.has_value());
  EXPECT_EQ(d.value->limits.cpu_cores, 50000.0 / 100000.0);

  j["HostConfig"]["Memory"] = -1;
  j["HostConfig"]["CpuQuota"] = -1;
  j["HostConfig"]["NanoCpus"] = "1000000000";
  j["HostConfig"]["PidsLimit"] = -1;
  d = ParseInspect(j.dump());
  ASSERT_TRUE(d.value.has_value());
  EXPECT_FALSE(d.value->limits.memory_bytes.has_value());
  EXPECT_FALSE(d.value->limits.cpu_cores.has_value());
  EXPECT_FALSE(d.value->limits.pids.has_value());

  j["HostConfig"]["Memory"] = std::uint64_t{9223372036854771712u};  // above 2^62
  d = ParseInspect(j.dump());
  ASSERT_TRUE(d.value.has_value());
  EXPECT_FALSE(d.value->limits.memory_bytes.has_value());

  j["State"]["StartedAt"] = "0001-01-01T00:00:00Z";  // never started
  d = ParseInspect(j.dump());
  ASSERT_TRUE(d.value.has_value());
  EXPECT_FALSE(d.value->start_time_seconds.has_value());

  j.erase("HostConfig");
  j.erase("State");
  d = ParseInspect(j.dump());
  ASSERT_TRUE(d.value.has_value());
  EXPECT_EQ(d.value->network_mode, "");
  EXPECT_FALSE(d.value->start_time_seconds.has_value());
}

TEST(ParseInspect, BadAnswers) {
  for (const std::string& body :
       {std::string(""), std::string("[]"), std::string("nope"),
        Fixture("engine-docker20.10/error-404-stats.json").substr(0, 20)}) {
    SCOPED_TRACE(body);
    auto d = ParseInspect(body);
    EXPECT_FALSE(d.value.has_value());
    EXPECT_FALSE(d.error.empty());
  }
}

TEST(EngineErrorMessage, RecordedErrorBodies) {
  EXPECT_EQ(EngineErrorMessage(Fixture("engine-docker20.10/error-404-stats.json")),
            "No such container: 0000000000000000000000000000000000000000000000000000000000000000");
  EXPECT_EQ(EngineErrorMessage(Fixture("engine-docker20.10/error-400-version-too-new.json")),
            "client version 1.99 is too new. Maximum supported API version is 1.41");
  // Plain text (pre-1.24 error format): the text itself, on one line.
  const std::string old_text =
      EngineErrorMessage(Fixture("engine-docker20.10/error-400-version-too-old.json"));
  EXPECT_EQ(old_text.find('\n'), std::string::npos);
  EXPECT_EQ(old_text.rfind("client version 1.11 is too old. Minimum supported API version is "
                           "1.12, please upgrade your client to a newer version",
                           0),
            0u);
}

TEST(EngineErrorMessage, LongPlainBodyIsCutShort) {
  const std::string body(100000, 'x');
  const std::string m = EngineErrorMessage(body);
  EXPECT_FALSE(m.empty());
  EXPECT_LE(m.size(), 1000u);
  EXPECT_EQ(EngineErrorMessage(R"({"message": 5})"), R"({"message": 5})");
}

}  // namespace
}  // namespace evonic::collectors
