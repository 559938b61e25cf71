// The cgroupfs and procfs file parsers, and where a container's cgroup is.
#include "collectors/cgroupfs/cgroup_files.h"

#include <gtest/gtest.h>

#include "collectors/cgroupfs/cgroup_layout.h"

namespace evonic::collectors::cgroupfs {
namespace {

TEST(CgroupFiles, SingleValueAndMax) {
  EXPECT_EQ(ParseSingleValue("536870912\n"), 536870912u);
  EXPECT_EQ(ParseSingleValue("max\n"), std::nullopt);
  EXPECT_EQ(ParseSingleValue(""), std::nullopt);
  EXPECT_EQ(ParseSingleValue("12x\n"), std::nullopt);
  EXPECT_EQ(ParseSingleValue("-1\n"), std::nullopt);
  EXPECT_EQ(ParseSingleValue("99999999999999999999999\n"), std::nullopt);
}

TEST(CgroupFiles, FlatKeyedMatchesTheWholeKey) {
  const char* stat = "inactive_file 100\ntotal_inactive_file 300\nactive_file 7\n";
  EXPECT_EQ(FlatKeyedValue(stat, "inactive_file"), 100u);
  EXPECT_EQ(FlatKeyedValue(stat, "total_inactive_file"), 300u);
  EXPECT_EQ(FlatKeyedValue(stat, "file"), std::nullopt);
  EXPECT_EQ(FlatKeyedValue("nr_periods x\n", "nr_periods"), std::nullopt);
}

TEST(CgroupFiles, BlkioSumsReadsAndWritesAcrossDevices) {
  auto b = ParseBlkioServiceBytes(
      "8:0 Read 4096\n8:0 Write 512\n8:0 Sync 4608\n8:0 Async 0\n8:0 Discard 0\n8:0 Total 4608\n"
      "8:16 Read 100\n8:16 Write 1\nTotal 4709\n");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->read, 4196u);
  EXPECT_EQ(b->write, 513u);
  auto empty = ParseBlkioServiceBytes("Total 0\n");  // what these machines show
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->read, 0u);
  EXPECT_FALSE(ParseBlkioServiceBytes("8:0 Read\n"));
  EXPECT_FALSE(ParseBlkioServiceBytes("sda Read 1\n"));
}

TEST(CgroupFiles, IoStatSumsBytesOfEveryDevice) {
  auto b = ParseIoStat(
      "254:0 rbytes=1052672 wbytes=8192 rios=40 wios=2 dbytes=0 dios=0\n"
      "8:0 rbytes=10 wbytes=20 rios=1 wios=1 dbytes=0 dios=0\n");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->read, 1052682u);
  EXPECT_EQ(b->write, 8212u);
  EXPECT_TRUE(ParseIoStat(""));
  EXPECT_FALSE(ParseIoStat("254:0 rbytes\n"));
  EXPECT_FALSE(ParseIoStat("254:0 rbytes=x\n"));
}

TEST(CgroupFiles, ProcStatAsTheEngineReadsIt) {
  // user nice system idle iowait irq softirq are summed; steal and guests are not.
  auto host = ParseProcStat(
      "cpu  100 10 50 800 20 0 20 999 0 0\ncpu0 50 5 25 400 10 0 10 0 0 0\n"
      "cpu1 50 5 25 400 10 0 10 0 0 0\nintr 1\nctxt 2\n",
      100);
  ASSERT_TRUE(host);
  EXPECT_EQ(host->system_ns, 1000ull * 10000000u);
  EXPECT_EQ(host->online_cpus, 2u);
  EXPECT_FALSE(ParseProcStat("cpu  1 2 3\ncpu0 1 2 3 4 5 6 7\n", 100));
  EXPECT_FALSE(ParseProcStat("intr 1\n", 100));
  // Big counters do not overflow: 2^40 ticks at 100 Hz.
  auto big = ParseProcStat("cpu  1099511627776 0 0 0 0 0 0\ncpu0 0 0 0 0 0 0 0\n", 100);
  ASSERT_TRUE(big);
  EXPECT_EQ(big->system_ns, 1099511627776u * 10000000u);
}

TEST(CgroupFiles, MemTotalInBytes) {
  EXPECT_EQ(ParseMemTotal("MemTotal:       24684096 kB\nMemFree: 1 kB\n"), 24684096ull * 1024);
  EXPECT_EQ(ParseMemTotal("MemFree: 1 kB\n"), std::nullopt);
}

TEST(CgroupFiles, NetDevCountsEveryInterfaceButLoopback) {
  const char* dev =
      "Inter-|   Receive                                                |  Transmit\n"
      " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs "
      "drop fifo colls carrier compressed\n"
      "    lo:  999999    9999    0    0    0     0          0         0   999999    9999    0 "
      "   0    0     0       0          0\n"
      "  eth0:    1000      10    1    2    0     0          0         0     2000      20    3 "
      "   4    0     0       0          0\n"
      "  eth1:       1       1    0    0    0     0          0         0        1       1    0 "
      "   0    0     0       0          0\n";
  auto n = ParseNetDev(dev);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->receive_bytes, 1001);
  EXPECT_EQ(n->receive_packets, 11);
  EXPECT_EQ(n->receive_errors, 1);
  EXPECT_EQ(n->receive_dropped, 2);
  EXPECT_EQ(n->transmit_bytes, 2001);
  EXPECT_EQ(n->transmit_packets, 21);
  EXPECT_EQ(n->transmit_errors, 3);
  EXPECT_EQ(n->transmit_dropped, 4);
  EXPECT_FALSE(ParseNetDev("header\nheader\n  eth0: 1 2 3\n"));
}

TEST(CgroupLayout, EnginePaths) {
  const std::string id = "ce73cab3731a";
  EXPECT_EQ(ContainerCgroupPath({1, false}, id, ""), "docker/ce73cab3731a");
  EXPECT_EQ(ContainerCgroupPath({2, false}, id, "/evonic/"), "evonic/ce73cab3731a");
  EXPECT_EQ(ContainerCgroupPath({2, true}, id, ""), "system.slice/docker-ce73cab3731a.scope");
  EXPECT_EQ(ContainerCgroupPath({1, true}, id, "evonic-sandboxes.slice"),
            "evonic.slice/evonic-sandboxes.slice/docker-ce73cab3731a.scope");
  // Nothing that climbs out of the hierarchy, no malformed slices.
  EXPECT_EQ(ContainerCgroupPath({1, false}, id, "/../../etc"), "");
  EXPECT_EQ(ContainerCgroupPath({1, true}, id, "evonic--x.slice"), "");
  EXPECT_EQ(ContainerCgroupPath({1, true}, id, "not-a-slice"), "");
  EXPECT_EQ(ContainerCgroupPath({1, false}, "a/b", ""), "");
}

}  // namespace
}  // namespace evonic::collectors::cgroupfs
