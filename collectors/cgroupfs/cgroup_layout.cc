#include "collectors/cgroupfs/cgroup_layout.h"

namespace evonic::collectors::cgroupfs {

namespace {

// "a-b-c.slice" -> "a.slice/a-b.slice/a-b-c.slice", as systemd nests slices; "" on a malformed
// name (systemd refuses it too).
std::string ExpandSlice(const std::string& slice) {
  const std::string suffix = ".slice";
  if (slice.size() <= suffix.size() ||
      slice.compare(slice.size() - suffix.size(), suffix.size(), suffix) != 0 ||
      slice.find('/') != std::string::npos) {
    return "";
  }
  const std::string name = slice.substr(0, slice.size() - suffix.size());
  if (name == "-") return "";  // the root slice
  std::string path;
  std::string prefix;
  std::size_t start = 0;
  while (true) {
    std::size_t dash = name.find('-', start);
    std::string part = name.substr(0, dash);
    if (part.empty() || part.back() == '-') return "";
    if (!path.empty()) path += '/';
    path += part + suffix;
    if (dash == std::string::npos) break;
    start = dash + 1;
  }
  return path;
}

std::string StripSlashes(std::string s) {
  while (!s.empty() && s.front() == '/') s.erase(0, 1);
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

}  // namespace

std::string ContainerCgroupPath(const CgroupLayout& layout, const std::string& container_id,
                                const std::string& cgroup_parent) {
  if (cgroup_parent.find("..") != std::string::npos ||
      container_id.find('/') != std::string::npos || container_id.empty()) {
    return "";
  }
  if (layout.systemd_driver) {
    std::string slice = ExpandSlice(cgroup_parent.empty() ? "system.slice" : cgroup_parent);
    if (slice.empty()) return "";
    return slice + "/docker-" + container_id + ".scope";
  }
  std::string parent = StripSlashes(cgroup_parent.empty() ? "/docker" : cgroup_parent);
  return parent.empty() ? container_id : parent + "/" + container_id;
}

}  // namespace evonic::collectors::cgroupfs
