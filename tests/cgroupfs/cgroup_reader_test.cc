// The cgroupfs reader over a tree recorded from a real cgroup v1 engine (with the engine's own
// stats answer taken between two readings) and over synthetic v2 and odd trees.
#include "collectors/cgroupfs/cgroup_reader.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "collectors/pipeline/stats_check.h"
#include "tests/cgroupfs/cgroup_tree.h"

namespace evonic::collectors::cgroupfs {
namespace {

constexpr char kRecorded[] = "v1-docker20.10";
constexpr char kId[] = "ce73cab3731a27bfddeb995ce9e97b43314e929064117eff240b525eff4c7bd2";

std::string FixtureText(const std::string& relative) {
  std::ifstream in(std::string(EVONIC_FIXTURES_DIR) + "/" + relative);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// One read of `path`, whatever problems it has.
CgroupRead ReadRaw(const test::CgroupTree& tree, CgroupLayout layout, const std::string& path) {
  CgroupReader reader(tree.paths(), layout);
  std::string why;
  auto host = reader.ReadHost(&why);
  EXPECT_TRUE(host) << why;
  CgroupRead r = reader.Read(path, host.value_or(HostSample{}), 1.8e9, 0);
  EXPECT_FALSE(r.gone);
  EXPECT_TRUE(r.reading);
  return r;
}

// One read of `path` that must have no problem.
StatsReading ReadAt(const test::CgroupTree& tree, CgroupLayout layout, const std::string& path) {
  CgroupRead r = ReadRaw(tree, layout, path);
  EXPECT_EQ(r.problem, "");
  return r.reading.value_or(StatsReading{});
}

TEST(CgroupReader, RecordedV1AgreesWithTheEngineAnswerTakenBetweenItsReadings) {
  const std::string path = std::string("docker/") + kId;
  test::CgroupTree before_tree, after_tree;
  before_tree.PlaceV1(kRecorded, "before", path);
  after_tree.PlaceV1(kRecorded, "after", path);
  StatsReading before = ReadAt(before_tree, {1, false}, path);
  StatsReading after = ReadAt(after_tree, {1, false}, path);
  StatsParseResult engine =
      ParseStats(FixtureText(std::string("cgroupfs/") + kRecorded + "/engine-stats.json"));
  ASSERT_TRUE(engine.reading) << engine.error;
  const StatsReading& e = *engine.reading;

  EXPECT_EQ(CompareWithEngine(before, e, after), "");
  // What does not move on an idle sandbox is equal, byte for byte.
  EXPECT_EQ(before.memory_usage, e.memory_usage);
  EXPECT_EQ(before.memory_limit, e.memory_limit);
  EXPECT_EQ(before.memory_total_inactive_file, e.memory_total_inactive_file);
  EXPECT_EQ(MemoryUsedBytes(before), MemoryUsedBytes(e));
  EXPECT_EQ(before.pids, e.pids);
  EXPECT_EQ(before.cpu_user_ns, e.cpu_user_ns);
  EXPECT_EQ(before.cpu_kernel_ns, e.cpu_kernel_ns);
  EXPECT_EQ(before.cpu_periods, e.cpu_periods);
  EXPECT_EQ(before.cpu.online_cpus, e.cpu.online_cpus);
  EXPECT_EQ(before.block_read_bytes, e.block_read_bytes);
  EXPECT_EQ(before.block_write_bytes, e.block_write_bytes);
  // The memory breakdown: the same keys of the same memory.stat, and memory.failcnt (the
  // engine's failcnt, left out of its answer when 0).
  EXPECT_EQ(before.memory_rss, e.memory_rss);
  EXPECT_EQ(before.memory_rss, 53248u);
  EXPECT_EQ(before.memory_cache, e.memory_cache);
  EXPECT_EQ(before.memory_limit_hits, e.memory_limit_hits);
  EXPECT_EQ(before.memory_limit_hits, 0u);
  // Swap: memory.stat has total_swap (swap accounting is on), Docker 20.10's answer does not.
  EXPECT_EQ(before.memory_swap, 0u);
  EXPECT_FALSE(e.memory_swap.has_value());
  // Counters: the engine read them between our two readings.
  ASSERT_TRUE(before.cpu.total_ns && e.cpu.total_ns && after.cpu.total_ns);
  EXPECT_LE(*before.cpu.total_ns, *e.cpu.total_ns);
  EXPECT_LE(*e.cpu.total_ns, *after.cpu.total_ns);
  ASSERT_TRUE(before.cpu.system_ns && e.cpu.system_ns && after.cpu.system_ns);
  EXPECT_LE(*before.cpu.system_ns, *e.cpu.system_ns);
  EXPECT_LE(*e.cpu.system_ns, *after.cpu.system_ns);
}

TEST(CgroupReader, RecordedV2AgreesWithTheEngineAnswerTakenBetweenItsReadings) {
  // Recorded in the emulated guest's Docker 20.10 on cgroup v2 (tests/e2e/test_stats_sources.py
  // --cgroup-v2 --record-fixtures), where block I/O is accounted.
  const std::string recorded = "v2-docker20.10";
  const std::string id = "b38f995341fc3dab245b2fee04d49816988c7ae789b079d6034e106722423b67";
  const std::string path = ContainerCgroupPath({2, false}, id, "");
  test::CgroupTree before_tree, after_tree;
  before_tree.PlaceV2(recorded, "before", path);
  after_tree.PlaceV2(recorded, "after", path);
  StatsReading before = ReadAt(before_tree, {2, false}, path);
  StatsReading after = ReadAt(after_tree, {2, false}, path);
  StatsParseResult engine = ParseStats(FixtureText("cgroupfs/" + recorded + "/engine-stats.json"));
  ASSERT_TRUE(engine.reading) << engine.error;
  const StatsReading& e = *engine.reading;
  EXPECT_EQ(CompareWithEngine(before, e, after), "");
  EXPECT_EQ(before.memory_usage, e.memory_usage);
  EXPECT_EQ(before.memory_limit, e.memory_limit);
  EXPECT_EQ(before.memory_inactive_file, e.memory_inactive_file);
  EXPECT_EQ(MemoryUsedBytes(before), MemoryUsedBytes(e));
  EXPECT_EQ(before.pids, e.pids);
  EXPECT_EQ(before.cpu.total_ns, e.cpu.total_ns);
  EXPECT_EQ(before.cpu_user_ns, e.cpu_user_ns);
  EXPECT_EQ(before.cpu_kernel_ns, e.cpu_kernel_ns);
  EXPECT_EQ(before.cpu_periods, e.cpu_periods);
  EXPECT_EQ(before.cpu_throttled_periods, e.cpu_throttled_periods);
  EXPECT_EQ(before.cpu_throttled_ns, e.cpu_throttled_ns);
  EXPECT_EQ(before.cpu.online_cpus, e.cpu.online_cpus);
  EXPECT_EQ(before.block_read_bytes, e.block_read_bytes);
  EXPECT_EQ(before.block_write_bytes, e.block_write_bytes);
  EXPECT_EQ(before.memory_rss, e.memory_rss);  // anon
  EXPECT_EQ(before.memory_rss, 53248u);
  EXPECT_EQ(before.memory_cache, e.memory_cache);  // file
  EXPECT_EQ(before.memory_cache, 155648u);
  // Not recorded in this tree (memory.events, memory.swap.current), not in the engine's answer.
  EXPECT_FALSE(before.memory_limit_hits.has_value());
  EXPECT_FALSE(before.memory_swap.has_value());
  ASSERT_TRUE(before.block_read_bytes);
  EXPECT_GT(*before.block_read_bytes, 0u);
  ASSERT_TRUE(before.cpu.system_ns && e.cpu.system_ns && after.cpu.system_ns);
  EXPECT_LE(*before.cpu.system_ns, *e.cpu.system_ns);
  EXPECT_LE(*e.cpu.system_ns, *after.cpu.system_ns);
}

TEST(CgroupReader, V1WithTheSystemdDriverAndACgroupParent) {
  test::CgroupTree tree;
  const std::string path = ContainerCgroupPath({1, true}, kId, "evonic-sandboxes.slice");
  tree.PlaceV1(kRecorded, "before", path);
  StatsReading r = ReadAt(tree, {1, true}, path);
  EXPECT_EQ(r.memory_limit, 536870912u);
  EXPECT_TRUE(r.cpu.total_ns);
}

// A v2 tree as the kernel documents it (and the cgroup v2 guest shows).
void WriteV2(const test::CgroupTree& tree, const std::string& dir) {
  tree.Cgroup("cgroup.controllers", "cpuset cpu io memory pids\n");
  tree.Cgroup(dir + "/cpu.stat",
              "usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\nnr_periods 40\n"
              "nr_throttled 3\nthrottled_usec 120000\n");
  tree.Cgroup(dir + "/memory.current", "10485760\n");
  tree.Cgroup(dir + "/memory.max", "max\n");
  tree.Cgroup(dir + "/memory.stat", "anon 4096\nfile 8192\ninactive_file 2097152\n");
  tree.Cgroup(dir + "/memory.swap.current", "65536\n");
  tree.Cgroup(dir + "/memory.events", "low 0\nhigh 0\nmax 12\noom 2\noom_kill 1\n");
  tree.Cgroup(dir + "/io.stat",
              "254:0 rbytes=1052672 wbytes=8192 rios=40 wios=2 dbytes=0 dios=0\n");
  tree.Cgroup(dir + "/pids.current", "3\n");
  tree.Proc("stat", "cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 1 1 1 1 1 1 1\ncpu1 1 1 1 1 1 1 1\n");
  tree.Proc("meminfo", "MemTotal:        2048000 kB\n");
}

TEST(CgroupReader, V2UnifiedHierarchyWithTheEnginesUnits) {
  test::CgroupTree tree;
  WriteV2(tree, std::string("docker/") + kId);
  StatsReading r = ReadAt(tree, {2, false}, std::string("docker/") + kId);
  EXPECT_EQ(r.cpu.total_ns, 2500000000u);
  EXPECT_EQ(r.cpu_user_ns, 2000000000u);
  EXPECT_EQ(r.cpu_kernel_ns, 500000000u);
  EXPECT_EQ(r.cpu_periods, 40u);
  EXPECT_EQ(r.cpu_throttled_periods, 3u);
  EXPECT_EQ(r.cpu_throttled_ns, 120000000u);
  EXPECT_EQ(r.memory_usage, 10485760u);
  EXPECT_EQ(r.memory_limit, 2048000ull * 1024);  // "max": the host's memory, as the engine says
  EXPECT_EQ(MemoryUsedBytes(r), 10485760.0 - 2097152.0);
  EXPECT_EQ(r.memory_rss, 4096u);
  EXPECT_EQ(r.memory_cache, 8192u);
  EXPECT_EQ(r.memory_swap, 65536u);
  EXPECT_EQ(r.memory_limit_hits, 12u);  // `max`, not `oom` or `oom_kill`
  EXPECT_EQ(r.block_read_bytes, 1052672u);
  EXPECT_EQ(r.block_write_bytes, 8192u);
  EXPECT_EQ(r.pids, 3u);
  EXPECT_EQ(r.cpu.online_cpus, 2u);
  EXPECT_EQ(r.cpu.system_ns, 1000ull * 10000000u);
}

TEST(CgroupReader, MissingControllerAndOddContentGiveAbsentValuesAndSaySo) {
  test::CgroupTree tree;
  const std::string dir = std::string("docker/") + kId;
  WriteV2(tree, dir);
  tree.Remove(dir + "/pids.current");
  tree.Cgroup(dir + "/memory.current", "lots\n");
  CgroupRead r = ReadRaw(tree, {2, false}, dir);
  ASSERT_TRUE(r.reading);
  EXPECT_FALSE(r.reading->pids);
  EXPECT_FALSE(r.reading->memory_usage);
  EXPECT_EQ(r.reading->cpu.total_ns, 2500000000u);  // the rest is still read
  EXPECT_NE(r.problem.find("pids.current"), std::string::npos) << r.problem;
  EXPECT_NE(r.problem.find("memory.current"), std::string::npos) << r.problem;
}

TEST(CgroupReader, V2WithoutSwapAccountingOrMemoryEventsLeavesThemAbsentQuietly) {
  test::CgroupTree tree;
  const std::string dir = std::string("docker/") + kId;
  WriteV2(tree, dir);
  tree.Remove(dir + "/memory.swap.current");
  tree.Remove(dir + "/memory.events");
  // ReadAt expects no problem: the engine has neither, so asking it would not help.
  StatsReading r = ReadAt(tree, {2, false}, dir);
  EXPECT_FALSE(r.memory_swap.has_value());
  EXPECT_FALSE(r.memory_limit_hits.has_value());
  EXPECT_EQ(r.memory_rss, 4096u);
}

TEST(CgroupReader, V1MissingFailcntIsAProblemBecauseTheEngineHasIt) {
  test::CgroupTree tree;
  const std::string path = std::string("docker/") + kId;
  tree.PlaceV1(kRecorded, "before", path);
  tree.Remove("memory/" + path + "/memory.failcnt");
  CgroupRead r = ReadRaw(tree, {1, false}, path);
  ASSERT_TRUE(r.reading);
  EXPECT_FALSE(r.reading->memory_limit_hits.has_value());
  EXPECT_EQ(r.reading->memory_rss, 53248u);
  EXPECT_NE(r.problem.find("memory.failcnt"), std::string::npos) << r.problem;
}

TEST(CgroupReader, AVanishedCgroupIsGone) {
  test::CgroupTree tree;
  const std::string dir = std::string("docker/") + kId;
  WriteV2(tree, dir);
  CgroupReader reader(tree.paths(), {2, false});
  std::string why;
  auto host = reader.ReadHost(&why);
  ASSERT_TRUE(host);
  tree.Remove(dir);
  EXPECT_TRUE(reader.Read(dir, *host, 1.8e9, 0).gone);
  EXPECT_TRUE(reader.Read("", *host, 1.8e9, 0).gone);
}

// Kept files: the next read of a sandbox re-reads the files it holds open, sees new values, and a
// cgroup removed and made again at the same path is read afresh, not through the old files.
class KeptFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteV2(tree_, dir_);
    std::string why;
    auto host = reader_.ReadHost(&why);
    ASSERT_TRUE(host) << why;
    host_ = *host;
  }
  CgroupRead Read() { return reader_.Read(dir_, host_, 1.8e9, 0, &kept_); }

  test::CgroupTree tree_;
  const std::string dir_ = std::string("docker/") + kId;
  CgroupReader reader_{tree_.paths(), {2, false}};
  HostSample host_;
  KeptFiles kept_;
};

TEST_F(KeptFilesTest, ReadAgainWithTheirNewValues) {
  CgroupRead first = Read();
  ASSERT_TRUE(first.reading);
  EXPECT_EQ(first.reading->pids, 3u);
  // The directory and every file the reader read in it (WriteV2 writes only those).
  const auto files =
      std::distance(std::filesystem::directory_iterator(tree_.paths().cgroupfs + "/" + dir_), {});
  EXPECT_EQ(kept_.held(), static_cast<std::size_t>(files) + 1);
  tree_.Cgroup(dir_ + "/pids.current", "7\n");  // rewritten in place, as the kernel's are
  CgroupRead second = Read();
  ASSERT_TRUE(second.reading);
  EXPECT_EQ(second.reading->pids, 7u);
  EXPECT_EQ(second.problem, "");
  EXPECT_EQ(kept_.held(), static_cast<std::size_t>(files) + 1);  // none opened again
}

TEST_F(KeptFilesTest, OfARemovedCgroupAreNotReadAgain) {
  ASSERT_TRUE(Read().reading);
  // Made again (a restarted container): the new files, not the held ones of the old directory.
  tree_.Remove(dir_);
  WriteV2(tree_, dir_);
  tree_.Cgroup(dir_ + "/pids.current", "9\n");
  CgroupRead again = Read();
  ASSERT_TRUE(again.reading);
  EXPECT_EQ(again.reading->pids, 9u);
  // Removed: gone, and its files are let go.
  tree_.Remove(dir_);
  EXPECT_TRUE(Read().gone);
  kept_.CloseUnused();
  EXPECT_EQ(kept_.held(), 0u);
}

TEST(CgroupReader, KeptFilesOfSandboxesNotReadInACycleAreClosed) {
  test::CgroupTree tree;
  const std::string path = std::string("docker/") + kId;
  tree.PlaceV1(kRecorded, "before", path);
  CgroupReader reader(tree.paths(), {1, false});
  std::string why;
  auto host = reader.ReadHost(&why);
  ASSERT_TRUE(host);
  KeptFiles kept;
  CgroupRead held = reader.Read(path, *host, 1.8e9, 0, &kept);
  CgroupRead opened = reader.Read(path, *host, 1.8e9, 0);
  ASSERT_TRUE(held.reading && opened.reading);
  EXPECT_EQ(held.problem, opened.problem);
  EXPECT_EQ(CompareWithEngine(*held.reading, *opened.reading, *held.reading), "");
  EXPECT_EQ(held.reading->memory_usage, opened.reading->memory_usage);
  EXPECT_EQ(held.reading->cpu.total_ns, opened.reading->cpu.total_ns);
  EXPECT_GT(kept.held(), 5u);  // five controllers' directories and their files
  kept.CloseUnused();          // read in this cycle: kept
  EXPECT_GT(kept.held(), 5u);
  kept.CloseUnused();  // not read in the next: closed
  EXPECT_EQ(kept.held(), 0u);
}

TEST(CgroupReader, NetworkFromTheInitProcessNetDev) {
  test::CgroupTree tree;
  const std::string dir = std::string("docker/") + kId;
  WriteV2(tree, dir);
  tree.Proc("4242/net/dev",
            "h1\nh2\n    lo: 5 5 0 0 0 0 0 0 5 5 0 0 0 0 0 0\n"
            "  eth0: 100 2 0 0 0 0 0 0 200 3 0 0 0 0 0 0\n");
  CgroupReader reader(tree.paths(), {2, false});
  std::string why;
  auto host = reader.ReadHost(&why);
  ASSERT_TRUE(host);
  CgroupRead r = reader.Read(dir, *host, 1.8e9, 4242);
  ASSERT_TRUE(r.reading && r.reading->network);
  EXPECT_EQ(r.reading->network->receive_bytes, 100);
  EXPECT_EQ(r.reading->network->transmit_bytes, 200);
  // A pid whose net/dev cannot be read (another PID namespace): no network values, said.
  CgroupRead missing = reader.Read(dir, *host, 1.8e9, 4243);
  ASSERT_TRUE(missing.reading);
  EXPECT_FALSE(missing.reading->network);
  EXPECT_NE(missing.problem.find("/proc/4243/net/dev"), std::string::npos);
}

TEST(CgroupReader, HierarchyAndHostChecks) {
  test::CgroupTree tree;
  std::string why;
  EXPECT_FALSE(CgroupReader(tree.paths(), {2, false}).HierarchyPresent(&why));
  EXPECT_NE(why.find("cgroup.controllers"), std::string::npos);
  EXPECT_FALSE(CgroupReader(tree.paths(), {1, false}).HierarchyPresent(&why));
  EXPECT_FALSE(CgroupReader(tree.paths(), {1, false}).ReadHost(&why));
  EXPECT_NE(why.find("/stat"), std::string::npos);
  tree.MakeDir("cpuacct");
  tree.MakeDir("memory");
  EXPECT_TRUE(CgroupReader(tree.paths(), {1, false}).HierarchyPresent(&why));
}

TEST(StatsCheck, DisagreementsBeyondTheMargins) {
  StatsReading a, e, b;
  a.cpu.total_ns = 1000000000;
  e.cpu.total_ns = 1200000000;
  b.cpu.total_ns = 1300000000;
  a.memory_usage = b.memory_usage = 100 << 20;
  e.memory_usage = (100 << 20) + (1 << 20);  // 1 MiB more: inside 1 % + 1 MiB
  a.memory_limit = e.memory_limit = b.memory_limit = 512u << 20;
  a.pids = 3;
  b.pids = 5;
  e.pids = 7;  // 2 beyond: inside
  EXPECT_EQ(CompareWithEngine(a, e, b), "");
  e.memory_usage = 110u << 20;
  EXPECT_NE(CompareWithEngine(a, e, b).find("memory usage"), std::string::npos);
  e.memory_usage = a.memory_usage;
  e.cpu.total_ns = 1400000000;  // 100 ms of CPU after the second reading
  EXPECT_NE(CompareWithEngine(a, e, b).find("cpu usage"), std::string::npos);
  e.cpu.total_ns = 1200000000;
  e.memory_limit = 256u << 20;
  EXPECT_NE(CompareWithEngine(a, e, b).find("memory limit"), std::string::npos);
  e.memory_limit = a.memory_limit;
  e.pids = 8;
  EXPECT_NE(CompareWithEngine(a, e, b).find("pids"), std::string::npos);
  e.pids = 7;
  // Limit hits: a counter read from the same file, so exact; absent on one side is not compared
  // (the engine has none on v2).
  a.memory_limit_hits = 4;
  b.memory_limit_hits = 5;
  EXPECT_EQ(CompareWithEngine(a, e, b), "");
  e.memory_limit_hits = 5;
  EXPECT_EQ(CompareWithEngine(a, e, b), "");
  e.memory_limit_hits = 6;
  EXPECT_NE(CompareWithEngine(a, e, b).find("memory limit hits"), std::string::npos);
}

}  // namespace
}  // namespace evonic::collectors::cgroupfs
