// The --help text, generated from the flag table, against the text users know (byte for byte).

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "exporter/flags.h"

namespace evonic::exporter {
namespace {

TEST(Usage, IsTheDocumentedText) {
  std::ifstream in(std::string(EVONIC_FIXTURES_DIR) + "/usage.txt", std::ios::binary);
  ASSERT_TRUE(in.good());
  std::ostringstream golden;
  golden << in.rdbuf();
  EXPECT_EQ(Usage(), golden.str());
}

}  // namespace
}  // namespace evonic::exporter
