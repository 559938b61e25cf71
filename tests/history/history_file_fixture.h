#pragma once
// What the tests of the history file share: a file of each test's own in a fresh folder, opened
// and read with every error reported, and the files an Open() moved aside.

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "exporter/history/history_store.h"
#include "tests/support/captured_log.h"

namespace evonic::exporter {

/// The files moved aside in `dir` (not their WAL side files).
inline std::vector<std::filesystem::path> AsideFiles(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> out;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.find(".unusable-") != std::string::npos && name.find("-wal") == std::string::npos &&
        name.find("-shm") == std::string::npos) {
      out.push_back(entry.path());
    }
  }
  return out;
}

/// \brief A folder of the test's own (made fresh before it, removed after it) with `path_` for
/// the history file in it, and the log the store writes to. One test at a time.
class HistoryFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("evonic-history-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "history.db").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<HistoryStore> Open(std::chrono::seconds retention = std::chrono::hours(24 * 7)) {
    HistoryStore::Options o;
    o.path = path_;
    o.retention = retention;
    std::string error;
    auto store = HistoryStore::Open(o, log_.logger(), &error);
    EXPECT_TRUE(store) << error;
    return store;
  }
  model::HistoryPage Read(const HistoryStore& store, model::HistoryQuery q) {
    model::HistoryPage page;
    std::string error;
    EXPECT_TRUE(store.Read(q, &page, &error)) << error;
    return page;
  }

  std::filesystem::path dir_;
  std::string path_;
  test::CapturedLog log_;
};

}  // namespace evonic::exporter
