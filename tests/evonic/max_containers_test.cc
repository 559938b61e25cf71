// SANDBOX_MAX_CONTAINERS: the environment wins over .env; values outside 1..100 are ignored,
// each logged once.

#include "collectors/evonic/max_containers.h"

#include <gtest/gtest.h>

#include "tests/evonic/test_databases.h"

namespace evonic::collectors {
namespace {

using test::CapturedLog;
using test::TempDir;
using test::WriteFile;

TEST(MaxContainers, ParseAcceptsOneToHundred) {
  EXPECT_EQ(ParseMaxContainers("1"), 1);
  EXPECT_EQ(ParseMaxContainers(" 100 "), 100);
  EXPECT_EQ(ParseMaxContainers("010"), 10);
  EXPECT_FALSE(ParseMaxContainers("0"));
  EXPECT_FALSE(ParseMaxContainers("101"));
  EXPECT_FALSE(ParseMaxContainers("-5"));
  EXPECT_FALSE(ParseMaxContainers("5.5"));
  EXPECT_FALSE(ParseMaxContainers("ten"));
  EXPECT_FALSE(ParseMaxContainers(""));
  EXPECT_FALSE(ParseMaxContainers("99999999999999999999"));
}

TEST(MaxContainers, EnvironmentWinsOverDotenv) {
  TempDir root;
  CapturedLog log;
  WriteFile(root.path() / ".env", "SANDBOX_MAX_CONTAINERS=9\n");
  MaxContainersSetting setting("7", root.path() / ".env", log.logger());
  EXPECT_EQ(setting.Current(), 7.0);
  EXPECT_EQ(log.Problems(), 0);
}

TEST(MaxContainers, DotenvWhenNoEnvironmentAndNothingWithoutEither) {
  TempDir root;
  CapturedLog log;
  MaxContainersSetting setting(std::nullopt, root.path() / ".env", log.logger());
  EXPECT_FALSE(setting.Current()) << "no .env";
  WriteFile(root.path() / ".env", "# pool\nexport SANDBOX_MAX_CONTAINERS='12'\n");
  EXPECT_EQ(setting.Current(), 12.0) << "an edited .env is read again";
  EXPECT_EQ(log.Problems(), 0);
}

TEST(MaxContainers, BadValuesIgnoredWithOneLineEach) {
  TempDir root;
  CapturedLog log;
  WriteFile(root.path() / ".env", "SANDBOX_MAX_CONTAINERS=500\n");
  MaxContainersSetting setting("abc", root.path() / ".env", log.logger());
  EXPECT_EQ(log.Count("source=environment"), 1);
  EXPECT_FALSE(setting.Current());
  EXPECT_FALSE(setting.Current());
  EXPECT_EQ(log.Count("source=.env"), 1) << log.Text();
  WriteFile(root.path() / ".env", "SANDBOX_MAX_CONTAINERS=0\n");
  EXPECT_FALSE(setting.Current());
  EXPECT_EQ(log.Count("source=.env"), 2) << "a different bad value is logged again";
  WriteFile(root.path() / ".env", "SANDBOX_MAX_CONTAINERS=3\n");
  EXPECT_EQ(setting.Current(), 3.0) << "a bad environment value falls back to .env";
  EXPECT_EQ(log.Problems(), 3);
}

TEST(MaxContainers, EmptyEnvironmentCountsAsUnset) {
  TempDir root;
  CapturedLog log;
  WriteFile(root.path() / ".env", "SANDBOX_MAX_CONTAINERS=4\n");
  MaxContainersSetting setting(std::string(), root.path() / ".env", log.logger());
  EXPECT_EQ(setting.Current(), 4.0);
  EXPECT_EQ(log.Problems(), 0);
}

}  // namespace
}  // namespace evonic::collectors
