// The REST answers' sizes as the Docker CLI writes them (docker/go-units): the issue's table,
// case by case, with the arithmetic that leads to each.
#include "exporter/render/docker_units.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>

namespace evonic::exporter {
namespace {

TEST(BinarySize, TheIssueTable) {
  EXPECT_EQ(BinarySize(0), "0B");
  EXPECT_EQ(BinarySize(1023), "1023B");  // below 1024: bytes, %.4g keeps 4 digits
  EXPECT_EQ(BinarySize(1024), "1KiB");   // 1024 / 1024 = 1
  EXPECT_EQ(BinarySize(511.9 * 1048576), "511.9MiB");
  EXPECT_EQ(BinarySize(1.5 * 1073741824), "1.5GiB");
  EXPECT_EQ(BinarySize(536870912), "512MiB");  // --memory=512m
  EXPECT_EQ(BinarySize(142 * 1048576), "142MiB");
  // 1048575 B = 1023.999 KiB: %.4g rounds to 1024 in the same unit, as Go does.
  EXPECT_EQ(BinarySize(1048575), "1024KiB");
  // 64.05 MiB with more digits: %.4g keeps four significant digits.
  EXPECT_EQ(BinarySize(67158016), "64.05MiB");  // 67158016 / 1048576 = 64.0469...
}

TEST(DecimalSize, TheIssueTable) {
  EXPECT_EQ(DecimalSize(0), "0B");
  EXPECT_EQ(DecimalSize(999), "999B");
  EXPECT_EQ(DecimalSize(1000), "1kB");
  EXPECT_EQ(DecimalSize(2.1e6), "2.1MB");
  EXPECT_EQ(DecimalSize(12.3e9), "12.3GB");
  EXPECT_EQ(DecimalSize(11313), "11.3kB");  // 11.313 with 3 significant digits
  // Go prints 999,900 B as "1e+03kB" (999.9 kB rounded to 3 digits); the next unit is used.
  EXPECT_EQ(DecimalSize(999900), "1MB");
  EXPECT_EQ(DecimalSize(999949), "1MB");      // 999.949 kB -> 1e+03 -> 0.999949 MB -> "1"
  EXPECT_EQ(DecimalSize(999400), "999kB");    // 999.4 kB -> "999"
  EXPECT_EQ(DecimalSize(1187840), "1.19MB");  // the network fixture's blkio Read
}

TEST(DockerUnits, NegativeOrNotANumberIsUnknown) {
  EXPECT_EQ(BinarySize(-1), "--");
  EXPECT_EQ(DecimalSize(std::numeric_limits<double>::quiet_NaN()), "--");
}

TEST(Percent, TwoDecimals) {
  EXPECT_EQ(Percent(27.7298), "27.73%");
  EXPECT_EQ(Percent(0), "0.00%");
  EXPECT_EQ(Percent(100.375),
            "100.38%");  // 100.375 is exact in binary: %.2f rounds half even? no: up
  EXPECT_DOUBLE_EQ(RoundTwoDecimals(15.3049), 15.3);
  EXPECT_DOUBLE_EQ(RoundTwoDecimals(100.368), 100.37);
}

TEST(Percent, HugeValuesAreWrittenWhole) {
  // Found by tests/fuzz/fuzz_docker_units: a 64-byte buffer cut -1.9e306 short, without '%'.
  const std::string most = Percent(-std::numeric_limits<double>::max());
  EXPECT_EQ(most.size(), 1 + 309 + 3 + 1u);
  EXPECT_EQ(most.substr(most.size() - 4), ".00%");
}

}  // namespace
}  // namespace evonic::exporter
