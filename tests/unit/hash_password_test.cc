// `hash-password`: a hash that the exporter's own check accepts for the password given, at the
// cost asked for; one clear line for what it refuses.

#include "exporter/hash_password.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "exporter/web/bcrypt_hash.h"

namespace evonic::exporter {
namespace {

struct Outcome {
  int status;
  std::string out, err;
};

Outcome HashPassword(const std::string& input, const std::vector<std::string>& args = {}) {
  std::string in_text = input;
  std::FILE* in = fmemopen(in_text.data(), in_text.size(), "r");
  if (in_text.empty()) in = std::fopen("/dev/null", "r");
  char* out_buf = nullptr;
  char* err_buf = nullptr;
  std::size_t out_size = 0, err_size = 0;
  std::FILE* out = open_memstream(&out_buf, &out_size);
  std::FILE* err = open_memstream(&err_buf, &err_size);
  Outcome r;
  r.status = RunHashPassword(args, in, out, err);
  std::fclose(in);
  std::fclose(out);
  std::fclose(err);
  r.out.assign(out_buf, out_size);
  r.err.assign(err_buf, err_size);
  free(out_buf);
  free(err_buf);
  return r;
}

TEST(HashPassword, TheHashChecksTheGivenPasswordAtTheCostAsked) {
  Outcome r = HashPassword("correct horse\n");
  ASSERT_EQ(r.status, 0) << r.err;
  ASSERT_FALSE(r.out.empty());
  EXPECT_EQ(r.out.back(), '\n');
  const std::string hash = r.out.substr(0, r.out.size() - 1);
  std::string why;
  EXPECT_TRUE(IsBcryptHash(hash, &why)) << why;
  EXPECT_EQ(BcryptCost(hash), kDefaultPasswordCost);
  EXPECT_TRUE(BcryptVerify("correct horse", hash));  // the line end is not part of it
  EXPECT_FALSE(BcryptVerify("correct horse\n", hash));
  Outcome windows = HashPassword("s3cret\r\n", {"--cost=4"});
  ASSERT_EQ(windows.status, 0) << windows.err;
  const std::string cheap = windows.out.substr(0, windows.out.size() - 1);
  EXPECT_EQ(BcryptCost(cheap), 4);
  EXPECT_TRUE(BcryptVerify("s3cret", cheap));
  Outcome no_newline = HashPassword("tail", {"--cost=4"});
  ASSERT_EQ(no_newline.status, 0);
  EXPECT_TRUE(BcryptVerify("tail", no_newline.out.substr(0, no_newline.out.size() - 1)));
}

TEST(HashPassword, RefusalsSayWhyInOneLine) {
  struct Case {
    std::string input;
    std::vector<std::string> args;
    const char* reason;
  };
  for (const Case& c :
       {Case{"", {}, "no password on standard input"},
        Case{"\n", {}, "no password on standard input"},
        Case{"pw\n", {"--cost=3"}, "--cost must be"}, Case{"pw\n", {"--cost=32"}, "--cost must be"},
        Case{"pw\n", {"--cost=ten"}, "--cost must be"},
        Case{"pw\n", {"--rounds=10"}, "unknown argument --rounds=10"}}) {
    SCOPED_TRACE(c.reason);
    Outcome r = HashPassword(c.input, c.args);
    EXPECT_EQ(r.status, 2);
    EXPECT_TRUE(r.out.empty());
    EXPECT_NE(r.err.find(c.reason), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "one line";
  }
}

}  // namespace
}  // namespace evonic::exporter
