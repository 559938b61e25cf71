#pragma once
// Where the engine puts a container's cgroup, from what the engine says of itself (/info: cgroup
// version and driver) and of the container (inspect: HostConfig.CgroupParent). Pure; no I/O.

#include <string>

namespace evonic::collectors::cgroupfs {

/// How the engine's containers are laid out in cgroupfs.
struct CgroupLayout {
  int version = 1;              // 1: a hierarchy per controller; 2: the unified hierarchy
  bool systemd_driver = false;  // --exec-opt native.cgroupdriver=systemd
};

/// The container's cgroup relative to a hierarchy's root, without a leading '/':
///   cgroupfs driver: "<parent or docker>/<id>"
///   systemd driver:  "<parent slice, expanded, or system.slice>/docker-<id>.scope"
/// (systemd expands "a-b.slice" to "a.slice/a-b.slice"). Empty when `parent` cannot be a cgroup
/// path (it climbs out with "..").
std::string ContainerCgroupPath(const CgroupLayout& layout, const std::string& container_id,
                                const std::string& cgroup_parent);

}  // namespace evonic::collectors::cgroupfs
