// ParseStats, CpuUtilization, MemoryUsedBytes and ComputeUsage against every recorded stats answer,
// and against hostile variants of them. Every expected value is worked out by hand from the numbers
// in the fixture, copied as literals.

#include "collectors/docker/stats_parser.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/unit/test_util.h"

namespace evonic::collectors {
namespace {

using nlohmann::json;
using test::Fixture;

constexpr double kExact = 1e-12;

StatsReading MustParse(const std::string& body) {
  StatsParseResult r = ParseStats(body);
  EXPECT_TRUE(r.reading.has_value()) << r.error;
  return r.reading.value_or(StatsReading{});
}

StatsReading MustParseFixture(const std::string& relative) {
  SCOPED_TRACE(relative);
  return MustParse(Fixture(relative));
}

json FixtureJson(const std::string& relative) { return json::parse(Fixture(relative)); }

// ---------------------------------------------------------------------------------------------
// docker-api/cgroup-v1-docker20.10-stats.json: stream=false, precpu filled, --network none.

TEST(StatsParserV1, StreamAnswerRawReading) {
  StatsReading r = MustParseFixture("docker-api/cgroup-v1-docker20.10-stats.json");
  EXPECT_FALSE(r.stopped);
  // "read": "2026-11-26T04:06:46.299352568Z"; date -u -d 2026-11-26T04:06:46Z +%s = 1795666006
  ASSERT_TRUE(r.read_time_seconds.has_value());
  EXPECT_NEAR(*r.read_time_seconds, 1795666006.0 + 0.299352568, 1e-6);
  EXPECT_EQ(r.cpu.total_ns, 408107260852u);
  EXPECT_EQ(r.cpu.system_ns, 1015930000000u);
  EXPECT_EQ(r.cpu.online_cpus, 2u);
  EXPECT_EQ(r.precpu.total_ns, 407109126661u);
  EXPECT_EQ(r.precpu.system_ns, 1013940000000u);
  EXPECT_EQ(r.cpu_user_ns, 72960000000u);
  EXPECT_EQ(r.cpu_kernel_ns, 335140000000u);
  EXPECT_EQ(r.memory_usage, 860160u);
  EXPECT_EQ(r.memory_limit, 25276502016u);
  EXPECT_EQ(r.memory_total_inactive_file, 0u);
  EXPECT_EQ(r.memory_inactive_file, 0u);
  EXPECT_FALSE(r.network.has_value());  // no `networks` key
  EXPECT_EQ(r.block_read_bytes, 0u);    // io_service_bytes_recursive: []
  EXPECT_EQ(r.block_write_bytes, 0u);
  EXPECT_EQ(r.pids, 1u);
}

TEST(StatsParserV1, StreamAnswerUsage) {
  StatsReading r = MustParseFixture("docker-api/cgroup-v1-docker20.10-stats.json");
  model::SandboxUsage u = ComputeUsage(r, nullptr, "none");
  // cpu_usage.total_usage 408107260852 ns
  ASSERT_TRUE(u.cpu_seconds && u.cpu_user_seconds && u.cpu_system_seconds);
  EXPECT_NEAR(*u.cpu_seconds, 408.107260852, kExact);
  EXPECT_NEAR(*u.cpu_user_seconds, 72.96, kExact);     // usage_in_usermode 72960000000
  EXPECT_NEAR(*u.cpu_system_seconds, 335.14, kExact);  // usage_in_kernelmode 335140000000
  // cpu_stats.total_usage 408107260852 - precpu 407109126661 over system 1015930000000 -
  // 1013940000000, x 2 online CPUs
  ASSERT_TRUE(u.cpu_utilization_ratio.has_value());
  EXPECT_NEAR(*u.cpu_utilization_ratio,
              (408107260852.0 - 407109126661.0) / (1015930000000.0 - 1013940000000.0) * 2, kExact);
  // usage 860160 - total_inactive_file 0
  EXPECT_EQ(u.memory_used_bytes, 860160.0);
  EXPECT_EQ(u.memory_limit_bytes, 25276502016.0);
  // --network none: no `networks` key, zeros.
  ASSERT_TRUE(u.network.has_value());
  EXPECT_EQ(u.network->receive_bytes, 0.0);
  EXPECT_EQ(u.network->transmit_bytes, 0.0);
  EXPECT_EQ(u.network->receive_packets, 0.0);
  EXPECT_EQ(u.network->transmit_dropped, 0.0);
  EXPECT_EQ(u.block_read_bytes, 0.0);
  EXPECT_EQ(u.block_write_bytes, 0.0);
  EXPECT_EQ(u.pids, 1.0);
  EXPECT_EQ(u.cpu_periods, 0.0);
  EXPECT_EQ(u.cpu_throttled_periods, 0.0);
  EXPECT_EQ(u.cpu_throttled_seconds, 0.0);
}

TEST(StatsParserV1, NoNetworksKeyAndBridgeModeIsAbsentNotZero) {
  StatsReading r = MustParseFixture("docker-api/cgroup-v1-docker20.10-stats.json");
  EXPECT_FALSE(ComputeUsage(r, nullptr, "bridge").network.has_value());
  EXPECT_FALSE(ComputeUsage(r, nullptr, "").network.has_value());
}

// docker-api/cgroup-v1-docker20.10-oneshot-stats.json: the same container one second later.
TEST(StatsParserV1, OneShotWithoutPreviousHasNoRatio) {
  StatsReading r = MustParseFixture("docker-api/cgroup-v1-docker20.10-oneshot-stats.json");
  EXPECT_FALSE(r.stopped);
  // "read": "2026-11-26T04:06:47.30450985Z"; 2026-11-26T04:06:47Z = 1795666007
  ASSERT_TRUE(r.read_time_seconds.has_value());
  EXPECT_NEAR(*r.read_time_seconds, 1795666007.0 + 0.30450985, 1e-6);
  EXPECT_EQ(r.precpu.total_ns, 0u);  // precpu_stats.cpu_usage.total_usage: 0
  EXPECT_FALSE(r.precpu.system_ns.has_value());
  model::SandboxUsage u = ComputeUsage(r, nullptr, "none");
  EXPECT_FALSE(u.cpu_utilization_ratio.has_value());
  ASSERT_TRUE(u.cpu_seconds && u.cpu_user_seconds && u.cpu_system_seconds);
  EXPECT_NEAR(*u.cpu_seconds, 409.109162563, kExact);  // total_usage 409109162563
  EXPECT_NEAR(*u.cpu_user_seconds, 73.14, kExact);     // usage_in_usermode 73140000000
  EXPECT_NEAR(*u.cpu_system_seconds, 335.96, kExact);  // usage_in_kernelmode 335960000000
  EXPECT_EQ(u.memory_used_bytes, 860160.0);            // usage 860160 - total_inactive_file 0
  EXPECT_EQ(u.pids, 1.0);
  EXPECT_EQ(u.block_read_bytes, 0.0);
}

TEST(StatsParserV1, OneShotRatioFromOwnPreviousReading) {
  StatsReading before = MustParseFixture("docker-api/cgroup-v1-docker20.10-stats.json");
  StatsReading now = MustParseFixture("docker-api/cgroup-v1-docker20.10-oneshot-stats.json");
  model::SandboxUsage u = ComputeUsage(now, &before, "none");
  // total_usage 409109162563 (one-shot) - 408107260852 (stream answer's cpu_stats) over
  // system_cpu_usage 1017930000000 - 1015930000000, x 2 online CPUs
  ASSERT_TRUE(u.cpu_utilization_ratio.has_value());
  EXPECT_NEAR(*u.cpu_utilization_ratio,
              (409109162563.0 - 408107260852.0) / (1017930000000.0 - 1015930000000.0) * 2, kExact);
}

TEST(StatsParserV1, PreviousReadingOfAStoppedContainerGivesNoRatio) {
  StatsReading stopped = MustParseFixture("engine-docker20.10/stats-stopped.json");
  StatsReading now = MustParseFixture("docker-api/cgroup-v1-docker20.10-oneshot-stats.json");
  EXPECT_FALSE(ComputeUsage(now, &stopped, "none").cpu_utilization_ratio.has_value());
}

TEST(StatsParserV1, EnginePrecpuWinsOverOwnPreviousReading) {
  StatsReading r = MustParseFixture("docker-api/cgroup-v1-docker20.10-stats.json");
  StatsReading previous;
  previous.cpu.total_ns = 1;
  previous.cpu.system_ns = 2;
  previous.cpu.online_cpus = 2;
  model::SandboxUsage u = ComputeUsage(r, &previous, "none");
  ASSERT_TRUE(u.cpu_utilization_ratio.has_value());
  EXPECT_NEAR(*u.cpu_utilization_ratio,
              (408107260852.0 - 407109126661.0) / (1015930000000.0 - 1013940000000.0) * 2, kExact);
}

// docker-api/cgroup-v1-with-network-stats.json: eth0, capitalised blkio ops, inactive file cache.
TEST(StatsParserV1, WithNetworkAnswer) {
  StatsReading r = MustParseFixture("docker-api/cgroup-v1-with-network-stats.json");
  model::SandboxUsage u = ComputeUsage(r, nullptr, "bridge");
  ASSERT_TRUE(u.cpu_seconds && u.cpu_user_seconds && u.cpu_system_seconds);
  EXPECT_NEAR(*u.cpu_seconds, 0.034117917, kExact);  // total_usage 34117917
  EXPECT_NEAR(*u.cpu_user_seconds, 0.01, kExact);    // usage_in_usermode 10000000
  EXPECT_NEAR(*u.cpu_system_seconds, 0.02, kExact);  // usage_in_kernelmode 20000000
  // total_usage 34117917 - precpu 34117917 = 0 over 14834790000000 - 14833820000000: 0, not absent
  ASSERT_TRUE(u.cpu_utilization_ratio.has_value());
  EXPECT_EQ(*u.cpu_utilization_ratio, 0.0);
  // usage 1302528 - total_inactive_file 528384
  EXPECT_EQ(u.memory_used_bytes, 1302528.0 - 528384.0);
  EXPECT_EQ(u.memory_limit_bytes, 2074079232.0);
  // networks.eth0: rx_bytes 11313, rx_packets 88, everything else 0
  ASSERT_TRUE(u.network.has_value());
  EXPECT_EQ(u.network->receive_bytes, 11313.0);
  EXPECT_EQ(u.network->receive_packets, 88.0);
  EXPECT_EQ(u.network->transmit_bytes, 0.0);
  EXPECT_EQ(u.network->transmit_packets, 0.0);
  EXPECT_EQ(u.network->receive_errors, 0.0);
  EXPECT_EQ(u.network->transmit_errors, 0.0);
  EXPECT_EQ(u.network->receive_dropped, 0.0);
  EXPECT_EQ(u.network->transmit_dropped, 0.0);
  // io_service_bytes_recursive: Read 1187840, Write 0; Sync 1187840 and Total 1187840 ignored.
  EXPECT_EQ(u.block_read_bytes, 1187840.0);
  EXPECT_EQ(u.block_write_bytes, 0.0);
  EXPECT_EQ(u.pids, 1.0);
  // The networks key wins over the mode: mode "none" does not zero real counters.
  ASSERT_TRUE(ComputeUsage(r, nullptr, "none").network.has_value());
  EXPECT_EQ(ComputeUsage(r, nullptr, "none").network->receive_bytes, 11313.0);
}

TEST(StatsParserV1, NetworkSummedOverTwoInterfaces) {
  json j = FixtureJson("docker-api/cgroup-v1-with-network-stats.json");
  j["networks"]["eth1"] = {{"rx_bytes", 1000}, {"rx_packets", 3},  {"rx_errors", 5},
                           {"rx_dropped", 7},  {"tx_bytes", 2000}, {"tx_packets", 4},
                           {"tx_errors", 6},   {"tx_dropped", 8}};
  model::SandboxUsage u = ComputeUsage(MustParse(j.dump()), nullptr, "bridge");
  ASSERT_TRUE(u.network.has_value());
  // eth0 (fixture) + eth1 (above)
  EXPECT_EQ(u.network->receive_bytes, 11313.0 + 1000.0);
  EXPECT_EQ(u.network->receive_packets, 88.0 + 3.0);
  EXPECT_EQ(u.network->receive_errors, 0.0 + 5.0);
  EXPECT_EQ(u.network->receive_dropped, 0.0 + 7.0);
  EXPECT_EQ(u.network->transmit_bytes, 0.0 + 2000.0);
  EXPECT_EQ(u.network->transmit_packets, 0.0 + 4.0);
  EXPECT_EQ(u.network->transmit_errors, 0.0 + 6.0);
  EXPECT_EQ(u.network->transmit_dropped, 0.0 + 8.0);
}

TEST(StatsParserV1, OneUnusableInterfaceMakesNetworkAbsentNotPartial) {
  json j = FixtureJson("docker-api/cgroup-v1-with-network-stats.json");
  j["networks"]["eth1"] = j["networks"]["eth0"];
  j["networks"]["eth1"]["rx_bytes"] = "1000";
  EXPECT_FALSE(ComputeUsage(MustParse(j.dump()), nullptr, "bridge").network.has_value());
}

// docker-api/cgroup-v2-oneshot-stats.json
TEST(StatsParserV2, OneShotAnswer) {
  StatsReading r = MustParseFixture("docker-api/cgroup-v2-oneshot-stats.json");
  EXPECT_FALSE(r.memory_total_inactive_file.has_value());  // v2 has no total_* keys
  EXPECT_EQ(r.memory_inactive_file, 0u);
  model::SandboxUsage u = ComputeUsage(r, nullptr, "bridge");
  ASSERT_TRUE(u.cpu_seconds && u.cpu_user_seconds && u.cpu_system_seconds);
  EXPECT_NEAR(*u.cpu_seconds, 0.999478, kExact);         // total_usage 999478000
  EXPECT_NEAR(*u.cpu_user_seconds, 0.028503, kExact);    // usage_in_usermode 28503000
  EXPECT_NEAR(*u.cpu_system_seconds, 0.970974, kExact);  // usage_in_kernelmode 970974000
  EXPECT_FALSE(u.cpu_utilization_ratio.has_value());     // one-shot, no previous reading
  // usage 234647552 - inactive_file 0 (the tmpfs file is inactive_anon, so it counts)
  EXPECT_EQ(u.memory_used_bytes, 234647552.0 - 0.0);
  EXPECT_EQ(u.memory_limit_bytes, 268435456.0);
  ASSERT_TRUE(u.network.has_value());
  EXPECT_EQ(u.network->receive_bytes, 1296.0);
  EXPECT_EQ(u.network->receive_packets, 16.0);
  EXPECT_EQ(u.network->transmit_bytes, 0.0);
  // lower-case ops: read 167936, write 0; the other blkio arrays are null and irrelevant
  EXPECT_EQ(u.block_read_bytes, 167936.0);
  EXPECT_EQ(u.block_write_bytes, 0.0);
  EXPECT_EQ(u.pids, 1.0);  // pids_stats.current 1 (limit 4694 is not the count)
  EXPECT_EQ(u.cpu_periods, 0.0);
}

TEST(StatsParserV2, OneShotRatioFromOwnPreviousReading) {
  StatsReading now = MustParseFixture("docker-api/cgroup-v2-oneshot-stats.json");
  // A previous reading made by hand: 0.5 s of CPU less, 1 s of host time (x 2 CPUs) earlier.
  StatsReading before;
  before.cpu.total_ns = 999478000u - 500000000u;
  before.cpu.system_ns = 4836970000000u - 2000000000u;
  before.cpu.online_cpus = 2;
  model::SandboxUsage u = ComputeUsage(now, &before, "bridge");
  ASSERT_TRUE(u.cpu_utilization_ratio.has_value());
  EXPECT_NEAR(*u.cpu_utilization_ratio, 500000000.0 / 2000000000.0 * 2, kExact);
}

// ---------------------------------------------------------------------------------------------
// The memory breakdown: cAdvisor's usage, RSS, cache, swap and limit hits.

// engine-docker20.10/stats/evonic-admin-6f07b262.json: 64 MiB written to its tmpfs /tmp.
TEST(StatsParserMemory, V1RecordedAnswerTellsTheTmpfsCacheFromTheProcesses) {
  model::SandboxUsage u = ComputeUsage(
      MustParseFixture("engine-docker20.10/stats/evonic-admin-6f07b262.json"), nullptr, "none");
  EXPECT_EQ(u.memory_usage_bytes, 67805184.0);  // memory_stats.usage
  EXPECT_EQ(u.memory_used_bytes, 67805184.0);   // minus total_inactive_file 0: tmpfs is not
  EXPECT_EQ(u.memory_rss_bytes, 49152.0);       // total_rss
  EXPECT_EQ(u.memory_cache_bytes, 67108864.0);  // total_cache: the 64 MiB file
  // Docker 20.10 sends no swap keys, even with swap accounting on (hierarchical_memsw_limit).
  EXPECT_FALSE(u.memory_swap_bytes.has_value());
  // failcnt is left out of the answer when it is 0 (omitempty): 0, not absent.
  EXPECT_EQ(u.memory_limit_hits, 0.0);
}

TEST(StatsParserMemory, V1FailcntAndSwapWhenTheEngineSendsThem) {
  json j = FixtureJson("docker-api/cgroup-v1-with-network-stats.json");
  j["memory_stats"]["failcnt"] = 17;
  j["memory_stats"]["stats"]["total_swap"] = 8192;  // older engines, swap accounting on
  model::SandboxUsage u = ComputeUsage(MustParse(j.dump()), nullptr, "bridge");
  EXPECT_EQ(u.memory_usage_bytes, 1302528.0);
  EXPECT_EQ(u.memory_used_bytes, 1302528.0 - 528384.0);
  EXPECT_EQ(u.memory_rss_bytes, 151552.0);
  EXPECT_EQ(u.memory_cache_bytes, 921600.0);
  EXPECT_EQ(u.memory_swap_bytes, 8192.0);
  EXPECT_EQ(u.memory_limit_hits, 17.0);
}

// docker-api/cgroup-v2-oneshot-stats.json: a 223 MiB tmpfs file (shmem) in a 256 MiB sandbox.
TEST(StatsParserMemory, V2AnswerUsesAnonAndFileAndHasNoSwapOrLimitHits) {
  model::SandboxUsage u =
      ComputeUsage(MustParseFixture("docker-api/cgroup-v2-oneshot-stats.json"), nullptr, "bridge");
  EXPECT_EQ(u.memory_usage_bytes, 234647552.0);
  EXPECT_EQ(u.memory_rss_bytes, 61440.0);        // anon
  EXPECT_EQ(u.memory_cache_bytes, 233848832.0);  // file
  EXPECT_FALSE(u.memory_swap_bytes.has_value());
  // The answer's "failcnt": 1 is memory.events `oom` on v2 engines, not the count of limit hits
  // (`max`): absent rather than a different count under the same name.
  EXPECT_FALSE(u.memory_limit_hits.has_value());
}

TEST(StatsParserMemory, NoStatsMapGivesNoBreakdown) {
  json j = FixtureJson("docker-api/cgroup-v1-with-network-stats.json");
  j["memory_stats"].erase("stats");
  model::SandboxUsage u = ComputeUsage(MustParse(j.dump()), nullptr, "bridge");
  EXPECT_EQ(u.memory_usage_bytes, 1302528.0);
  EXPECT_FALSE(u.memory_rss_bytes.has_value());
  EXPECT_FALSE(u.memory_cache_bytes.has_value());
  EXPECT_FALSE(u.memory_limit_hits.has_value());
}

// ---------------------------------------------------------------------------------------------
// engine-docker20.10/stats/ (stream=false, precpu filled) and stats-oneshot/ (.1, .2).

struct Recorded {
  const char* file;
  std::uint64_t total_usage, usermode, kernelmode, system_cpu_usage;
  std::uint64_t memory_usage, memory_limit, pids, periods;
};

// Copied from the fixtures: cpu_stats.cpu_usage.{total_usage, usage_in_usermode,
// usage_in_kernelmode}, cpu_stats.system_cpu_usage, memory_stats.{usage, limit} (every
// total_inactive_file and inactive_file is 0), pids_stats.current, throttling_data.periods.
const Recorded kRecorded[] = {
    {"stats/evonic-admin-6f07b262.json", 150098793, 10000000, 130000000, 1347530000000, 67805184,
     536870912, 1, 7},
    {"stats/evonic-data-analyst-e0d4d663.json", 2025995812, 2010000000, 10000000, 1343540000000,
     524288, 536870912, 2, 23},
    {"stats/evonic-labelled.json", 22401355, 10000000, 10000000, 1355520000000, 651264, 268435456,
     1, 3},
    {"stats/hand-made-box.json", 29986710, 20000000, 0, 1351530000000, 589824, 25276502016, 1, 0},
    {"stats-oneshot/evonic-admin-6f07b262.1.json", 150098793, 10000000, 130000000, 1365570000000,
     67805184, 536870912, 1, 7},
    {"stats-oneshot/evonic-admin-6f07b262.2.json", 150098793, 10000000, 130000000, 1367560000000,
     67805184, 536870912, 1, 7},
    {"stats-oneshot/evonic-data-analyst-e0d4d663.1.json", 11075042638, 11050000000, 10000000,
     1361560000000, 524288, 536870912, 2, 113},
    {"stats-oneshot/evonic-data-analyst-e0d4d663.2.json", 12078938869, 12060000000, 10000000,
     1363570000000, 524288, 536870912, 2, 123},
    {"stats-oneshot/evonic-labelled.1.json", 22401355, 10000000, 10000000, 1373560000000, 651264,
     268435456, 1, 3},
    {"stats-oneshot/evonic-labelled.2.json", 22401355, 10000000, 10000000, 1375560000000, 651264,
     268435456, 1, 3},
    {"stats-oneshot/hand-made-box.1.json", 29986710, 20000000, 0, 1369560000000, 589824,
     25276502016, 1, 0},
    {"stats-oneshot/hand-made-box.2.json", 29986710, 20000000, 0, 1371560000000, 589824,
     25276502016, 1, 0},
};

TEST(StatsParserRecorded, EveryAnswerGivesItsCountersInSecondsAndBytes) {
  for (const Recorded& e : kRecorded) {
    SCOPED_TRACE(e.file);
    StatsReading r = MustParseFixture(std::string("engine-docker20.10/") + e.file);
    EXPECT_FALSE(r.stopped);
    EXPECT_EQ(r.cpu.system_ns, e.system_cpu_usage);
    EXPECT_EQ(r.cpu.online_cpus, 2u);
    model::SandboxUsage u = ComputeUsage(r, nullptr, "none");
    ASSERT_TRUE(u.cpu_seconds && u.cpu_user_seconds && u.cpu_system_seconds);
    EXPECT_NEAR(*u.cpu_seconds, e.total_usage / 1e9, kExact);
    EXPECT_NEAR(*u.cpu_user_seconds, e.usermode / 1e9, kExact);
    EXPECT_NEAR(*u.cpu_system_seconds, e.kernelmode / 1e9, kExact);
    EXPECT_EQ(u.memory_used_bytes, static_cast<double>(e.memory_usage));  // minus 0 inactive
    EXPECT_EQ(u.memory_limit_bytes, static_cast<double>(e.memory_limit));
    EXPECT_EQ(u.pids, static_cast<double>(e.pids));
    EXPECT_EQ(u.cpu_periods, static_cast<double>(e.periods));
    EXPECT_EQ(u.cpu_throttled_periods, 0.0);
    EXPECT_EQ(u.cpu_throttled_seconds, 0.0);
    EXPECT_EQ(u.block_read_bytes, 0.0);  // blkio arrays recorded empty: not accounted here
    EXPECT_EQ(u.block_write_bytes, 0.0);
    ASSERT_TRUE(u.network.has_value());  // --network none
    EXPECT_EQ(u.network->receive_bytes, 0.0);
    EXPECT_EQ(u.network->transmit_bytes, 0.0);
  }
}

TEST(StatsParserRecorded, StreamAnswersRatioFromPrecpu) {
  struct Case {
    const char* file;
    double expected;
  };
  const Case cases[] = {
      // total_usage 2025995812 - precpu 1022317023 over 1343540000000 - 1341540000000, x 2
      {"stats/evonic-data-analyst-e0d4d663.json",
       (2025995812.0 - 1022317023.0) / (1343540000000.0 - 1341540000000.0) * 2},
      // total_usage equal to precpu's (150098793): 0 over 1347530000000 - 1345550000000
      {"stats/evonic-admin-6f07b262.json", 0.0},
      // 22401355 both: 0 over 1355520000000 - 1353530000000
      {"stats/evonic-labelled.json", 0.0},
      // 29986710 both: 0 over 1351530000000 - 1349520000000
      {"stats/hand-made-box.json", 0.0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.file);
    StatsReading r = MustParseFixture(std::string("engine-docker20.10/") + c.file);
    model::SandboxUsage u = ComputeUsage(r, nullptr, "none");
    ASSERT_TRUE(u.cpu_utilization_ratio.has_value());
    EXPECT_NEAR(*u.cpu_utilization_ratio, c.expected, kExact);
  }
}

TEST(StatsParserRecorded, OneShotPairsRatioOnlyWithPreviousReading) {
  struct Case {
    const char* name;
    double expected;
  };
  const Case cases[] = {
      // .2 total_usage 12078938869 - .1 11075042638 over 1363570000000 - 1361560000000, x 2
      {"evonic-data-analyst-e0d4d663",
       (12078938869.0 - 11075042638.0) / (1363570000000.0 - 1361560000000.0) * 2},
      {"evonic-admin-6f07b262", 0.0},  // 150098793 both times
      {"evonic-labelled", 0.0},        // 22401355 both times
      {"hand-made-box", 0.0},          // 29986710 both times
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string base = std::string("engine-docker20.10/stats-oneshot/") + c.name;
    StatsReading first = MustParseFixture(base + ".1.json");
    StatsReading second = MustParseFixture(base + ".2.json");
    EXPECT_FALSE(first.precpu.system_ns.has_value());
    EXPECT_FALSE(ComputeUsage(first, nullptr, "none").cpu_utilization_ratio.has_value());
    EXPECT_FALSE(ComputeUsage(second, nullptr, "none").cpu_utilization_ratio.has_value());
    model::SandboxUsage u = ComputeUsage(second, &first, "none");
    ASSERT_TRUE(u.cpu_utilization_ratio.has_value());
    EXPECT_NEAR(*u.cpu_utilization_ratio, c.expected, kExact);
    // Reversed order is a counter that did not advance (system time went backwards): absent.
    EXPECT_FALSE(ComputeUsage(first, &second, "none").cpu_utilization_ratio.has_value());
  }
}

// ---------------------------------------------------------------------------------------------
// The stopped container's answer.

TEST(StatsParserStopped, StoppedAnswerIsFlaggedAndCarriesNoNumbers) {
  StatsParseResult p = ParseStats(Fixture("engine-docker20.10/stats-stopped.json"));
  ASSERT_TRUE(p.reading.has_value()) << p.error;
  EXPECT_TRUE(p.reading->stopped);
  EXPECT_FALSE(p.reading->memory_usage.has_value());
  EXPECT_FALSE(p.reading->pids.has_value());
  EXPECT_FALSE(p.reading->read_time_seconds.has_value());
}

// ---------------------------------------------------------------------------------------------
// Docker CLI cross-check: docker-stats-cli.jsonl was printed right after the stats/ recordings.

double ParseCliSize(const std::string& text) {
  struct Unit {
    const char* suffix;
    double factor;
  };
  static const Unit kUnits[] = {
      {"GiB", 1024.0 * 1024 * 1024}, {"MiB", 1024.0 * 1024}, {"KiB", 1024.0}, {"B", 1.0}};
  for (const Unit& u : kUnits) {
    const std::string suffix = u.suffix;
    if (text.size() > suffix.size() &&
        text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0) {
      return std::stod(text.substr(0, text.size() - suffix.size())) * u.factor;
    }
  }
  ADD_FAILURE() << "unexpected size " << text;
  return -1;
}

TEST(StatsParserDockerCli, MemoryAndCpuAgreeWithDockerStats) {
  std::istringstream lines(Fixture("engine-docker20.10/docker-stats-cli.jsonl"));
  std::string line;
  int seen = 0;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    json cli = json::parse(line);
    const std::string name = cli["Name"].get<std::string>();
    SCOPED_TRACE(name);
    ++seen;
    const std::string mem = cli["MemUsage"].get<std::string>();  // e.g. "64.66MiB / 512MiB"
    const std::size_t slash = mem.find(" / ");
    ASSERT_NE(slash, std::string::npos);
    const double cli_used = ParseCliSize(mem.substr(0, slash));
    const double cli_limit = ParseCliSize(mem.substr(slash + 3));
    StatsReading r = MustParseFixture("engine-docker20.10/stats/" + name + ".json");
    model::SandboxUsage u = ComputeUsage(r, nullptr, "none");
    ASSERT_TRUE(u.memory_used_bytes && u.memory_limit_bytes);
    EXPECT_NEAR(*u.memory_used_bytes, cli_used, 0.05 * cli_used);
    EXPECT_NEAR(*u.memory_limit_bytes, cli_limit, 0.005 * cli_limit);  // shown with 4 digits
    // CPUPerc, e.g. "100.28%": a moment later than our sample, so a loose bound.
    std::string cpu = cli["CPUPerc"].get<std::string>();
    ASSERT_EQ(cpu.back(), '%');
    const double cli_ratio = std::stod(cpu.substr(0, cpu.size() - 1)) / 100;
    ASSERT_TRUE(u.cpu_utilization_ratio.has_value());
    EXPECT_NEAR(*u.cpu_utilization_ratio, cli_ratio, 0.05 * std::max(cli_ratio, 0.1));
  }
  EXPECT_EQ(seen, 4);
}

// ---------------------------------------------------------------------------------------------
// Memory: docker CLI's calculateMemUsageUnixNoCache.

TEST(MemoryUsedBytes, V1UsesTotalInactiveFileBeforeInactiveFile) {
  StatsReading r;
  r.memory_usage = 1000000;
  r.memory_total_inactive_file = 100000;
  r.memory_inactive_file = 200000;
  EXPECT_EQ(MemoryUsedBytes(r), 1000000.0 - 100000.0);
}

TEST(MemoryUsedBytes, V2UsesInactiveFile) {
  StatsReading r;
  r.memory_usage = 1000000;
  r.memory_inactive_file = 200000;
  EXPECT_EQ(MemoryUsedBytes(r), 1000000.0 - 200000.0);
}

TEST(MemoryUsedBytes, InactiveFileNotBelowUsageGivesUsage) {
  StatsReading v2;
  v2.memory_usage = 1000000;
  v2.memory_inactive_file = 1000000;  // equal: not smaller than usage
  EXPECT_EQ(MemoryUsedBytes(v2), 1000000.0);
  v2.memory_inactive_file = 5000000;
  EXPECT_EQ(MemoryUsedBytes(v2), 1000000.0);
  StatsReading v1;
  v1.memory_usage = 1000000;
  v1.memory_total_inactive_file = 1000001;
  v1.memory_inactive_file = 1000001;
  EXPECT_EQ(MemoryUsedBytes(v1), 1000000.0);
}

TEST(MemoryUsedBytes, FromFixtureWithInactiveFileAboveUsage) {
  json j = FixtureJson("docker-api/cgroup-v2-oneshot-stats.json");
  j["memory_stats"]["stats"]["inactive_file"] = 234647552 + 1;  // usage + 1
  EXPECT_EQ(MemoryUsedBytes(MustParse(j.dump())), 234647552.0);
}

TEST(MemoryUsedBytes, AbsentUsageIsAbsent) {
  StatsReading r;
  r.memory_inactive_file = 5;
  EXPECT_FALSE(MemoryUsedBytes(r).has_value());
}

// ---------------------------------------------------------------------------------------------
// Block I/O and throttling built from the fixtures' JSON.

TEST(StatsParserBlockIo, SummedByFirstLetterOverDevices) {
  json j = FixtureJson("docker-api/cgroup-v1-with-network-stats.json");
  j["blkio_stats"]["io_service_bytes_recursive"] = json::array({
      {{"major", 8}, {"minor", 0}, {"op", "Read"}, {"value", 100}},
      {{"major", 8}, {"minor", 16}, {"op", "read"}, {"value", 50}},
      {{"major", 8}, {"minor", 0}, {"op", "Write"}, {"value", 7}},
      {{"major", 8}, {"minor", 16}, {"op", "write"}, {"value", 3}},
      {{"major", 8}, {"minor", 0}, {"op", "Sync"}, {"value", 1000}},
      {{"major", 8}, {"minor", 0}, {"op", "Async"}, {"value", 2000}},
      {{"major", 8}, {"minor", 0}, {"op", "Discard"}, {"value", 4000}},
      {{"major", 8}, {"minor", 0}, {"op", "Total"}, {"value", 8000}},
  });
  model::SandboxUsage u = ComputeUsage(MustParse(j.dump()), nullptr, "bridge");
  EXPECT_EQ(u.block_read_bytes, 100.0 + 50.0);
  EXPECT_EQ(u.block_write_bytes, 7.0 + 3.0);
}

TEST(StatsParserBlockIo, EmptyNullAndMissing) {
  json j = FixtureJson("docker-api/cgroup-v1-with-network-stats.json");
  j["blkio_stats"]["io_service_bytes_recursive"] = json::array();
  StatsReading empty = MustParse(j.dump());
  EXPECT_EQ(empty.block_read_bytes, 0u);
  EXPECT_EQ(empty.block_write_bytes, 0u);

  j["blkio_stats"]["io_service_bytes_recursive"] = nullptr;
  StatsReading null_list = MustParse(j.dump());
  EXPECT_FALSE(null_list.block_read_bytes.has_value());
  EXPECT_FALSE(null_list.block_write_bytes.has_value());
  EXPECT_FALSE(ComputeUsage(null_list, nullptr, "none").block_read_bytes.has_value());

  j["blkio_stats"].erase("io_service_bytes_recursive");
  EXPECT_FALSE(MustParse(j.dump()).block_read_bytes.has_value());

  j.erase("blkio_stats");
  EXPECT_FALSE(MustParse(j.dump()).block_write_bytes.has_value());
}

TEST(StatsParserBlockIo, UnusableReadEntryMakesBothAbsent) {
  json j = FixtureJson("docker-api/cgroup-v1-with-network-stats.json");
  j["blkio_stats"]["io_service_bytes_recursive"][0]["value"] = -1;  // the "Read" entry
  StatsReading r = MustParse(j.dump());
  EXPECT_FALSE(r.block_read_bytes.has_value());
  EXPECT_FALSE(r.block_write_bytes.has_value());
}

TEST(StatsParserThrottling, PeriodsAndThrottledTimeInSeconds) {
  json j = FixtureJson("engine-docker20.10/stats/evonic-data-analyst-e0d4d663.json");
  j["cpu_stats"]["throttling_data"] = {
      {"periods", 100}, {"throttled_periods", 40}, {"throttled_time", 2500000000}};
  model::SandboxUsage u = ComputeUsage(MustParse(j.dump()), nullptr, "none");
  EXPECT_EQ(u.cpu_periods, 100.0);
  EXPECT_EQ(u.cpu_throttled_periods, 40.0);
  ASSERT_TRUE(u.cpu_throttled_seconds.has_value());
  EXPECT_NEAR(*u.cpu_throttled_seconds, 2500000000 / 1e9, kExact);
}

// ---------------------------------------------------------------------------------------------
// Hostile and edge input.

TEST(StatsParserHostile, NotJson) {
  for (const char* body : {"", "not json", "{", "{\"read\":", "\xff\xfe", "null", "42", "\"x\""}) {
    SCOPED_TRACE(body);
    StatsParseResult p = ParseStats(body);
    EXPECT_FALSE(p.reading.has_value());
    EXPECT_FALSE(p.error.empty());
  }
}

TEST(StatsParserHostile, TruncatedFixture) {
  for (const char* f :
       {"docker-api/cgroup-v1-docker20.10-stats.json", "docker-api/cgroup-v2-oneshot-stats.json",
        "engine-docker20.10/stats/evonic-admin-6f07b262.json"}) {
    SCOPED_TRACE(f);
    const std::string body = Fixture(f);
    StatsParseResult p = ParseStats(std::string_view(body).substr(0, body.size() / 2));
    EXPECT_FALSE(p.reading.has_value());
    EXPECT_FALSE(p.error.empty());
  }
}

TEST(StatsParserHostile, JsonArray) {
  const std::string body = "[" + Fixture("docker-api/cgroup-v1-docker20.10-stats.json") + "]";
  StatsParseResult p = ParseStats(body);
  EXPECT_FALSE(p.reading.has_value());
  EXPECT_FALSE(p.error.empty());
  EXPECT_FALSE(ParseStats("[]").reading.has_value());
}

TEST(StatsParserHostile, MissingOrNonStringRead) {
  json j = FixtureJson("docker-api/cgroup-v1-docker20.10-stats.json");
  j.erase("read");
  StatsParseResult p = ParseStats(j.dump());
  EXPECT_FALSE(p.reading.has_value());
  EXPECT_FALSE(p.error.empty());
  j["read"] = nullptr;
  EXPECT_FALSE(ParseStats(j.dump()).reading.has_value());
  j["read"] = 12345;
  EXPECT_FALSE(ParseStats(j.dump()).reading.has_value());
}

TEST(StatsParserHostile, UnparseableReadTimeKeepsTheNumbers) {
  json j = FixtureJson("docker-api/cgroup-v1-docker20.10-stats.json");
  j["read"] = "yesterday";
  StatsReading r = MustParse(j.dump());
  EXPECT_FALSE(r.stopped);
  EXPECT_FALSE(r.read_time_seconds.has_value());
  EXPECT_EQ(r.memory_usage, 860160u);
}

// Sets every number the exporter reads to `value` and checks all come out absent.
void ExpectEveryNumberAbsentWhenSetTo(const json& value) {
  json j = FixtureJson("docker-api/cgroup-v1-with-network-stats.json");
  for (const char* k : {"total_usage", "usage_in_usermode", "usage_in_kernelmode"}) {
    j["cpu_stats"]["cpu_usage"][k] = value;
  }
  j["cpu_stats"]["system_cpu_usage"] = value;
  for (const char* k : {"periods", "throttled_periods", "throttled_time"}) {
    j["cpu_stats"]["throttling_data"][k] = value;
  }
  j["memory_stats"]["usage"] = value;
  j["memory_stats"]["limit"] = value;
  j["memory_stats"]["stats"]["total_inactive_file"] = value;
  j["memory_stats"]["stats"]["inactive_file"] = value;
  for (const char* k : {"total_rss", "total_cache", "total_swap"}) {
    j["memory_stats"]["stats"][k] = value;
  }
  j["memory_stats"]["failcnt"] = value;
  j["networks"]["eth0"]["rx_bytes"] = value;
  j["blkio_stats"]["io_service_bytes_recursive"][0]["value"] = value;
  j["pids_stats"]["current"] = value;
  StatsReading r = MustParse(j.dump());
  EXPECT_FALSE(r.cpu.total_ns.has_value());
  EXPECT_FALSE(r.cpu.system_ns.has_value());
  EXPECT_FALSE(r.cpu_user_ns.has_value());
  EXPECT_FALSE(r.cpu_kernel_ns.has_value());
  EXPECT_FALSE(r.cpu_periods.has_value());
  EXPECT_FALSE(r.cpu_throttled_periods.has_value());
  EXPECT_FALSE(r.cpu_throttled_ns.has_value());
  EXPECT_FALSE(r.memory_usage.has_value());
  EXPECT_FALSE(r.memory_limit.has_value());
  EXPECT_FALSE(r.memory_total_inactive_file.has_value());
  EXPECT_FALSE(r.memory_inactive_file.has_value());
  EXPECT_FALSE(r.memory_rss.has_value());
  EXPECT_FALSE(r.memory_cache.has_value());
  EXPECT_FALSE(r.memory_swap.has_value());
  EXPECT_FALSE(r.memory_limit_hits.has_value());
  EXPECT_FALSE(r.network.has_value());
  EXPECT_FALSE(r.block_read_bytes.has_value());
  EXPECT_FALSE(r.pids.has_value());
  model::SandboxUsage u = ComputeUsage(r, nullptr, "bridge");
  EXPECT_FALSE(u.cpu_seconds.has_value());
  EXPECT_FALSE(u.cpu_user_seconds.has_value());
  EXPECT_FALSE(u.cpu_system_seconds.has_value());
  EXPECT_FALSE(u.cpu_utilization_ratio.has_value());
  EXPECT_FALSE(u.cpu_throttled_seconds.has_value());
  EXPECT_FALSE(u.memory_used_bytes.has_value());
  EXPECT_FALSE(u.memory_usage_bytes.has_value());
  EXPECT_FALSE(u.memory_limit_bytes.has_value());
  EXPECT_FALSE(u.network.has_value());
  EXPECT_FALSE(u.block_read_bytes.has_value());
  EXPECT_FALSE(u.pids.has_value());
}

TEST(StatsParserHostile, NullFields) { ExpectEveryNumberAbsentWhenSetTo(nullptr); }
TEST(StatsParserHostile, NegativeNumbers) { ExpectEveryNumberAbsentWhenSetTo(-5); }
TEST(StatsParserHostile, StringsWhereNumbersBelong) { ExpectEveryNumberAbsentWhenSetTo("12345"); }
TEST(StatsParserHostile, BooleansWhereNumbersBelong) { ExpectEveryNumberAbsentWhenSetTo(true); }
TEST(StatsParserHostile, ObjectsWhereNumbersBelong) {
  ExpectEveryNumberAbsentWhenSetTo(json::object({{"value", 1}}));
}
TEST(StatsParserHostile, FractionalFloats) { ExpectEveryNumberAbsentWhenSetTo(123.5); }
TEST(StatsParserHostile, AboveTwoToThe62) {
  // The v1 hierarchical_memory_limit sentinel, as the fixtures record it.
  ExpectEveryNumberAbsentWhenSetTo(json(std::uint64_t{9223372036854771712u}));
  ExpectEveryNumberAbsentWhenSetTo(json(std::uint64_t{4611686018427387904u} + 1));  // 2^62 + 1
  ExpectEveryNumberAbsentWhenSetTo(json(std::uint64_t{18446744073709551615u}));     // 2^64 - 1
  ExpectEveryNumberAbsentWhenSetTo(json(1e300));
}

TEST(StatsParserHostile, WholeFloatIsExactOrAbsentNeverWrong) {
  json j = FixtureJson("docker-api/cgroup-v1-docker20.10-stats.json");
  j["memory_stats"]["usage"] = 2.5e9;
  StatsReading r = MustParse(j.dump());
  if (r.memory_usage) {
    EXPECT_EQ(*r.memory_usage, 2500000000u);
  }
}

TEST(StatsParserHostile, NullSections) {
  json j = FixtureJson("docker-api/cgroup-v1-with-network-stats.json");
  for (const char* k :
       {"cpu_stats", "precpu_stats", "memory_stats", "networks", "blkio_stats", "pids_stats"}) {
    j[k] = nullptr;
  }
  StatsReading r = MustParse(j.dump());
  model::SandboxUsage u = ComputeUsage(r, nullptr, "bridge");
  EXPECT_FALSE(u.cpu_seconds.has_value());
  EXPECT_FALSE(u.cpu_utilization_ratio.has_value());
  EXPECT_FALSE(u.memory_used_bytes.has_value());
  EXPECT_FALSE(u.network.has_value());
  EXPECT_FALSE(u.block_read_bytes.has_value());
  EXPECT_FALSE(u.pids.has_value());
}

TEST(StatsParserHostile, OnlineCpusMissingFallsBackToPercpuCount) {
  json j = FixtureJson("docker-api/cgroup-v1-docker20.10-stats.json");
  j["cpu_stats"].erase("online_cpus");  // percpu_usage has 2 entries
  model::SandboxUsage u = ComputeUsage(MustParse(j.dump()), nullptr, "none");
  ASSERT_TRUE(u.cpu_utilization_ratio.has_value());
  EXPECT_NEAR(*u.cpu_utilization_ratio,
              (408107260852.0 - 407109126661.0) / (1015930000000.0 - 1013940000000.0) * 2, kExact);
  j["cpu_stats"]["cpu_usage"].erase("percpu_usage");
  EXPECT_FALSE(
      ComputeUsage(MustParse(j.dump()), nullptr, "none").cpu_utilization_ratio.has_value());
}

// ---------------------------------------------------------------------------------------------
// CpuUtilization on hand-made samples.

CpuSample Sample(std::uint64_t total, std::uint64_t system, std::uint64_t cpus) {
  CpuSample s;
  s.total_ns = total;
  s.system_ns = system;
  s.online_cpus = cpus;
  return s;
}

TEST(CpuUtilization, DockerCliFormula) {
  // 0.5 s of CPU over 2 s of host CPU time on 4 CPUs: 0.5 / 2 x 4 = 1 core
  auto v = CpuUtilization(Sample(1500000000, 12000000000, 4), Sample(1000000000, 10000000000, 4));
  ASSERT_TRUE(v.has_value());
  EXPECT_NEAR(*v, 0.5 / 2.0 * 4, kExact);
}

TEST(CpuUtilization, SystemDeltaZeroIsAbsent) {
  EXPECT_FALSE(CpuUtilization(Sample(200, 1000, 2), Sample(100, 1000, 2)).has_value());
}

TEST(CpuUtilization, SystemGoingBackwardsIsAbsent) {
  EXPECT_FALSE(CpuUtilization(Sample(200, 900, 2), Sample(100, 1000, 2)).has_value());
}

TEST(CpuUtilization, CounterGoingBackwardsIsAbsent) {
  EXPECT_FALSE(CpuUtilization(Sample(50, 2000, 2), Sample(100, 1000, 2)).has_value());
}

TEST(CpuUtilization, CpuDeltaZeroIsZero) {
  auto v = CpuUtilization(Sample(100, 2000, 2), Sample(100, 1000, 2));
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(*v, 0.0);
}

TEST(CpuUtilization, MissingPiecesAreAbsent) {
  CpuSample now = Sample(200, 2000, 2), before = Sample(100, 1000, 2);
  CpuSample no_cpus = now;
  no_cpus.online_cpus.reset();
  EXPECT_FALSE(CpuUtilization(no_cpus, before).has_value());
  CpuSample no_total = before;
  no_total.total_ns.reset();
  EXPECT_FALSE(CpuUtilization(now, no_total).has_value());
  CpuSample no_system = before;
  no_system.system_ns.reset();
  EXPECT_FALSE(CpuUtilization(now, no_system).has_value());
  EXPECT_FALSE(CpuUtilization(now, Sample(0, 0, 2)).has_value());  // a one-shot's empty precpu
  EXPECT_FALSE(CpuUtilization(CpuSample{}, CpuSample{}).has_value());
}

}  // namespace
}  // namespace evonic::collectors
