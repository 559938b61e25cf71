#pragma once
// A cgroupfs and procfs tree in a temporary folder, for the tests of the cgroupfs source: files
// copied from a recorded tree (tests/fixtures/cgroupfs) or written by the test. Removed on
// destruction.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "collectors/cgroupfs/cgroup_reader.h"

namespace evonic::test {

class CgroupTree {
 public:
  CgroupTree() {
    char pattern[] = "/tmp/evonic-cgroupfs-XXXXXX";
    root_ = mkdtemp(pattern);
    std::filesystem::create_directories(root_ + "/cgroup");
    std::filesystem::create_directories(root_ + "/proc");
  }
  ~CgroupTree() { std::filesystem::remove_all(root_); }
  CgroupTree(const CgroupTree&) = delete;
  CgroupTree& operator=(const CgroupTree&) = delete;

  collectors::cgroupfs::HostPaths paths() const { return {root_ + "/cgroup", root_ + "/proc"}; }

  /// Writes `text` to `relative` under the cgroupfs root, making folders.
  void Cgroup(const std::string& relative, const std::string& text) const {
    Write(root_ + "/cgroup/" + relative, text);
  }
  void Proc(const std::string& relative, const std::string& text) const {
    Write(root_ + "/proc/" + relative, text);
  }
  void MakeDir(const std::string& relative) const {
    std::filesystem::create_directories(root_ + "/cgroup/" + relative);
  }
  void Remove(const std::string& relative) const {
    std::filesystem::remove_all(root_ + "/cgroup/" + relative);
  }

  /// A recorded cgroup v1 reading (tests/fixtures/cgroupfs/<recorded>/<moment>) placed at
  /// `path` in every controller, with its /proc/stat and /proc/meminfo.
  void PlaceV1(const std::string& recorded, const std::string& moment,
               const std::string& path) const {
    const std::filesystem::path from =
        std::string(EVONIC_FIXTURES_DIR) + "/cgroupfs/" + recorded + "/" + moment;
    for (const char* controller : {"cpuacct", "cpu", "memory", "blkio", "pids"}) {
      MakeDir(std::string(controller) + "/" + path);
      for (const auto& f : std::filesystem::directory_iterator(from / controller)) {
        std::filesystem::copy_file(
            f.path(),
            root_ + "/cgroup/" + controller + "/" + path + "/" + f.path().filename().string(),
            std::filesystem::copy_options::overwrite_existing);
      }
    }
    CopyProc(from);
  }

  /// A recorded cgroup v2 reading (one directory of files, plus proc-stat and proc-meminfo)
  /// placed at `path` of a unified hierarchy.
  void PlaceV2(const std::string& recorded, const std::string& moment,
               const std::string& path) const {
    const std::filesystem::path from =
        std::string(EVONIC_FIXTURES_DIR) + "/cgroupfs/" + recorded + "/" + moment;
    Cgroup("cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma\n");
    MakeDir(path);
    for (const auto& f : std::filesystem::directory_iterator(from)) {
      const std::string name = f.path().filename().string();
      if (name.rfind("proc-", 0) == 0) continue;
      std::filesystem::copy_file(f.path(), root_ + "/cgroup/" + path + "/" + name,
                                 std::filesystem::copy_options::overwrite_existing);
    }
    CopyProc(from);
  }

 private:
  void CopyProc(const std::filesystem::path& from) const {
    std::filesystem::copy_file(from / "proc-stat", root_ + "/proc/stat",
                               std::filesystem::copy_options::overwrite_existing);
    std::filesystem::copy_file(from / "proc-meminfo", root_ + "/proc/meminfo",
                               std::filesystem::copy_options::overwrite_existing);
  }
  static void Write(const std::string& path, const std::string& text) {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    ASSERT_TRUE(out.good()) << path;
  }

  std::string root_;
};

}  // namespace evonic::test
