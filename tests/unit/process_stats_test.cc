// The exporter's own process figures, read from the real procfs.

#include "exporter/process_stats.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <vector>

namespace evonic::exporter {
namespace {

TEST(ProcessStats, OpenFdsCountsEveryDescriptor) {
  const auto before = ReadProcessStats("/proc").open_fds;
  ASSERT_TRUE(before);
  std::vector<int> fds;
  for (int i = 0; i < 100; ++i) fds.push_back(open("/dev/null", O_RDONLY | O_CLOEXEC));
  const auto during = ReadProcessStats("/proc").open_fds;
  for (int fd : fds) close(fd);
  ASSERT_TRUE(during);
  EXPECT_EQ(*during - *before, 100);
  EXPECT_EQ(ReadProcessStats("/proc").open_fds, before);
}

TEST(ProcessStats, NoProcfsNoFigures) {
  const auto s = ReadProcessStats("/nonexistent");
  EXPECT_FALSE(s.open_fds);
  EXPECT_FALSE(s.cpu_seconds);
}

}  // namespace
}  // namespace evonic::exporter
