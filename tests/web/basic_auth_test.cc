// Basic authentication: header parsing, the outcomes by reason, the cache, the dummy hash for
// unknown users and the cap on concurrent bcrypt checks.

#include "exporter/web/basic_auth.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <optional>
#include <string>

#include "exporter/web/bcrypt_hash.h"
#include "tests/support/captured_log.h"
#include "tests/web/base64.h"

namespace evonic::exporter {
namespace {

using testing::Base64;

constexpr const char* kHere = "127.0.0.1";  // the client address of the checks below

std::string BasicHeader(const std::string& user, const std::string& password) {
  return "Basic " + Base64(user + ":" + password);
}

class BasicAuthTest : public ::testing::Test {
 protected:
  BasicAuthTest() : log_(logging::Level::kError, logging::Format::kLogfmt, null_) {}
  ~BasicAuthTest() override { std::fclose(null_); }
  std::FILE* null_ = std::fopen("/dev/null", "w");
  logging::Logger log_;
};

TEST(ParseBasicAuthorization, AcceptsWellFormedAndRefusesTheRest) {
  auto c = ParseBasicAuthorization("Basic " + Base64("alice:pa:ss"));
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->user, "alice");
  EXPECT_EQ(c->password, "pa:ss");  // only the first ':' separates
  EXPECT_TRUE(ParseBasicAuthorization("basic " + Base64("a:")).has_value());
  EXPECT_FALSE(ParseBasicAuthorization("Bearer " + Base64("a:b")).has_value());
  EXPECT_FALSE(ParseBasicAuthorization("Basic " + Base64("no-colon")).has_value());
  EXPECT_FALSE(ParseBasicAuthorization("Basic !!!!").has_value());
  EXPECT_FALSE(ParseBasicAuthorization("Basic YQ=").has_value());
  EXPECT_FALSE(ParseBasicAuthorization("Basic").has_value());
}

TEST_F(BasicAuthTest, OutcomesCacheAndDummyHash) {
  BasicAuthenticator auth(BasicAuthenticator::Options{}, log_);
  std::string error;
  EXPECT_EQ(auth.Check(BasicHeader("alice", "right"), kHere), AuthResult::kNoUsers);
  ASSERT_TRUE(auth.SetUsers({{"alice", *BcryptHash("right", 4)}}, &error)) << error;
  EXPECT_TRUE(auth.HasUsers());

  EXPECT_EQ(auth.Check("", kHere), AuthResult::kMissing);
  EXPECT_EQ(auth.Check("Basic ???", kHere), AuthResult::kMalformed);
  EXPECT_EQ(auth.Check(BasicHeader("alice", "wrong"), kHere), AuthResult::kWrongPassword);
  EXPECT_EQ(auth.Stats().dummy_hash_checks, 0u);
  EXPECT_EQ(auth.Check(BasicHeader("mallory", "right"), kHere), AuthResult::kUnknownUser);
  // The unknown user was run through bcrypt against the dummy hash, not refused early.
  EXPECT_EQ(auth.Stats().dummy_hash_checks, 1u);
  EXPECT_EQ(auth.Stats().unknown_user, 1u);

  EXPECT_EQ(auth.Check(BasicHeader("alice", "right"), kHere), AuthResult::kAllowed);
  EXPECT_EQ(auth.Check(BasicHeader("alice", "right"), kHere), AuthResult::kAllowed);
  AuthStats s = auth.Stats();
  EXPECT_EQ(s.allowed_bcrypt, 1u);
  EXPECT_EQ(s.allowed_cached, 1u);
  EXPECT_EQ(s.wrong_password, 1u);
  EXPECT_EQ(s.missing, 1u);
  EXPECT_EQ(s.malformed, 1u);

  // A reload with other users drops the cache: alice's cached success does not survive.
  ASSERT_TRUE(auth.SetUsers({{"bob", *BcryptHash("b", 4)}}, &error)) << error;
  EXPECT_EQ(auth.Check(BasicHeader("alice", "right"), kHere), AuthResult::kUnknownUser);
  EXPECT_EQ(auth.Check(BasicHeader("bob", "b"), kHere), AuthResult::kAllowed);
}

TEST_F(BasicAuthTest, NoFreeBcryptSlotRefusesAtOnceButCachedChecksPass) {
  BasicAuthenticator::Options options;
  options.max_concurrent_bcrypt = 1;
  BasicAuthenticator auth(options, log_);
  std::string error;
  ASSERT_TRUE(auth.SetUsers({{"alice", *BcryptHash("right", 4)}}, &error)) << error;
  EXPECT_EQ(auth.Check(BasicHeader("alice", "right"), kHere), AuthResult::kAllowed);  // now cached

  BasicAuthenticator::Options closed = options;
  closed.max_concurrent_bcrypt = 0;  // every slot taken, as during a flood
  BasicAuthenticator busy(closed, log_);
  ASSERT_TRUE(busy.SetUsers({{"alice", *BcryptHash("right", 4)}}, &error)) << error;
  EXPECT_EQ(busy.Check(BasicHeader("alice", "wrong"), kHere), AuthResult::kBusy);
  EXPECT_EQ(busy.Check(BasicHeader("nobody", "x"), kHere), AuthResult::kBusy);
  EXPECT_EQ(busy.Stats().busy, 2u);
}

TEST(AddressLedger, OneCheckPerAddressAtATimeAndThrottlingAfterFailures) {
  AddressLedger::Options o;
  o.max_failures = 3;
  o.window = std::chrono::seconds(3600);
  AddressLedger ledger(o);
  std::optional<AddressLedger::Ticket> a1, a2, b1;
  ASSERT_EQ(ledger.Admit("10.0.0.1", &a1), AddressLedger::Admission::kAdmitted);
  EXPECT_EQ(ledger.Admit("10.0.0.1", &a2), AddressLedger::Admission::kAddressBusy);
  EXPECT_FALSE(a2.has_value());
  EXPECT_EQ(ledger.Admit("10.0.0.2", &b1), AddressLedger::Admission::kAdmitted);  // another
  a1->Failed();
  a1.reset();
  for (int i = 0; i < 2; ++i) {
    std::optional<AddressLedger::Ticket> t;
    ASSERT_EQ(ledger.Admit("10.0.0.1", &t), AddressLedger::Admission::kAdmitted) << i;
    t->Failed();
  }
  std::optional<AddressLedger::Ticket> t;
  EXPECT_EQ(ledger.Admit("10.0.0.1", &t), AddressLedger::Admission::kAddressThrottled);
  EXPECT_GE(ledger.RetryAfterSeconds("10.0.0.1"), 3500);
  b1.reset();
  EXPECT_EQ(ledger.Admit("10.0.0.2", &t), AddressLedger::Admission::kAdmitted);
}

TEST(AddressLedger, MemoryIsBoundedWhateverTheNumberOfAddresses) {
  AddressLedger::Options o;
  o.max_addresses = 100;
  AddressLedger ledger(o);
  for (int i = 0; i < 10000; ++i) {
    std::optional<AddressLedger::Ticket> t;
    ASSERT_EQ(ledger.Admit("fd00::" + std::to_string(i), &t), AddressLedger::Admission::kAdmitted);
  }
  EXPECT_LE(ledger.addresses(), 101u);
}

TEST_F(BasicAuthTest, AFloodFromOneAddressIsThrottledAndOthersAreStillChecked) {
  // Issue G.3: 16 clients sending wrong passwords took both bcrypt slots, and every valid,
  // uncached credential got 429.
  BasicAuthenticator auth(BasicAuthenticator::Options{}, log_);
  std::string error;
  ASSERT_TRUE(auth.SetUsers({{"alice", *BcryptHash("right", 4)}}, &error)) << error;
  const std::string flooder = "192.0.2.66";
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(auth.Check(BasicHeader("alice", "wrong"), flooder), AuthResult::kWrongPassword);
  }
  const std::uint64_t bcrypt_runs = auth.Stats().wrong_password + auth.Stats().unknown_user;
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(auth.Check(BasicHeader("mallory", "x"), flooder), AuthResult::kAddressThrottled);
  }
  // The throttled attempts cost no bcrypt.
  EXPECT_EQ(auth.Stats().wrong_password + auth.Stats().unknown_user, bcrypt_runs);
  EXPECT_EQ(auth.Stats().address_throttled, 100u);
  EXPECT_EQ(auth.Check(BasicHeader("alice", "right"), "192.0.2.7"), AuthResult::kAllowed);
}

TEST(BasicAuthenticator, MixedCostsAreSaidOnceAtEachLoad) {
  // Issue G.7: with costs 4 and 6, an unknown name is checked at cost 6 and a cost-4 user answers
  // four times faster: the user name can be told apart by time. The load says so.
  test::CapturedLog log(logging::Level::kInfo);
  BasicAuthenticator auth(BasicAuthenticator::Options{}, log.logger());
  std::string error;
  ASSERT_TRUE(
      auth.SetUsers({{"alice", *BcryptHash("a", 6)}, {"bob", *BcryptHash("b", 6)}}, &error));
  ASSERT_TRUE(
      auth.SetUsers({{"alice", *BcryptHash("a", 6)}, {"carol", *BcryptHash("c", 4)}}, &error));
  const std::string logged = log.Text();
  EXPECT_EQ(log.Count("different bcrypt costs"), 1) << logged;  // the second load only
  EXPECT_NE(logged.find("lower_cost_users=carol"), std::string::npos) << logged;
  EXPECT_NE(logged.find("highest_cost=6"), std::string::npos) << logged;
  EXPECT_EQ(logged.find("alice"), std::string::npos) << logged;
}

TEST(BcryptGate, CapsAndReleases) {
  BcryptGate gate(2);
  auto a = gate.TryEnter();
  auto b = gate.TryEnter();
  EXPECT_TRUE(a);
  EXPECT_TRUE(b);
  EXPECT_FALSE(gate.TryEnter());
  { auto moved = std::move(a); }
  EXPECT_TRUE(gate.TryEnter());
}

TEST(BcryptVerifiedCache, ExpiresAndDistinguishesUserFromPassword) {
  BcryptVerifiedCache cache(std::chrono::seconds(60), 2);
  auto t0 = BcryptVerifiedCache::Clock::now();
  cache.Insert("ab", "c", t0);
  EXPECT_TRUE(cache.Contains("ab", "c", t0));
  EXPECT_FALSE(cache.Contains("a", "bc", t0));
  EXPECT_FALSE(cache.Contains("ab", "c", t0 + std::chrono::seconds(61)));
}

TEST(BcryptVerifiedCache, ACredentialInUseStaysVerified) {
  // Many clients share one credential: a fixed expiry would send them all to bcrypt at once.
  BcryptVerifiedCache cache(std::chrono::seconds(60), 8);
  auto t0 = BcryptVerifiedCache::Clock::now();
  cache.Insert("prometheus", "secret", t0);
  for (int minute = 1; minute <= 10; ++minute) {
    EXPECT_TRUE(cache.Contains("prometheus", "secret", t0 + std::chrono::seconds(50 * minute)))
        << minute;
  }
  // Unused for longer than the ttl: bcrypt again.
  EXPECT_FALSE(cache.Contains("prometheus", "secret", t0 + std::chrono::seconds(500 + 61)));
}

TEST(BcryptVerifiedCache, CapacityDropsTheOldest) {
  BcryptVerifiedCache cache(std::chrono::seconds(60), 2);
  auto t0 = BcryptVerifiedCache::Clock::now();
  cache.Insert("u1", "p", t0);
  cache.Insert("u2", "p", t0 + std::chrono::seconds(1));
  cache.Insert("u3", "p", t0 + std::chrono::seconds(2));  // full: the oldest goes
  EXPECT_FALSE(cache.Contains("u1", "p", t0 + std::chrono::seconds(2)));
  EXPECT_TRUE(cache.Contains("u3", "p", t0 + std::chrono::seconds(2)));
}

}  // namespace
}  // namespace evonic::exporter
