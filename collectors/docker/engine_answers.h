#pragma once
// Pure parsing of the engine's /version, /containers/json and /containers/{id}/json answers.
// No I/O; safe to call from any thread. Nothing here throws.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/snapshot.h"

namespace evonic::collectors {

/// A Docker API version such as 1.41, ordered numerically (1.9 < 1.41).
struct ApiVersion {
  int major = 0;
  int minor = 0;
  static std::optional<ApiVersion> Parse(const std::string& text);
  std::string ToString() const;
  bool operator<(const ApiVersion& o) const {
    return major != o.major ? major < o.major : minor < o.minor;
  }
  bool operator==(const ApiVersion& o) const { return major == o.major && minor == o.minor; }
};

/// The newest engine API version this project's tests run against (Docker 20.10).
inline constexpr ApiVersion kNewestTestedApiVersion{1, 41};
/// `one-shot=true` on the stats call exists from this version on.
inline constexpr ApiVersion kOneShotApiVersion{1, 41};

/// The engine's answer to GET /version.
struct EngineVersion {
  ApiVersion api;
  std::optional<ApiVersion> min_api;
  std::string engine_version;  // e.g. "20.10.24"
};

/// The version to speak: the lower of the engine's and the newest tested, never below the engine's
/// minimum (newer engines refuse older clients outright).
ApiVersion NegotiateApiVersion(const EngineVersion& engine);

/// One entry of GET /containers/json.
struct ContainerRef {
  std::string id;
  std::string name;  // without the leading '/'
  std::string image;
  std::map<std::string, std::string> labels;
};

/// What GET /containers/{id}/json adds that the stats answer lacks.
struct ContainerDetails {
  std::string image;
  std::string network_mode;
  model::SandboxLimits limits;
  std::optional<double> start_time_seconds;
  std::string cgroup_parent;        // HostConfig.CgroupParent; empty: the engine's default
  std::optional<std::int64_t> pid;  // State.Pid of the init process, while it runs
};

/// What GET /info says of where containers' cgroups are.
struct EngineInfo {
  std::string cgroup_driver;   // "cgroupfs" or "systemd"; empty when the engine does not say
  std::string cgroup_version;  // "1" or "2"; empty on engines before API 1.40
};

template <typename T>
struct Parsed {
  std::optional<T> value;
  std::string error;  // set when value is absent
};

Parsed<EngineVersion> ParseVersion(std::string_view body);
Parsed<std::vector<ContainerRef>> ParseContainerList(std::string_view body);
Parsed<ContainerDetails> ParseInspect(std::string_view body);
Parsed<EngineInfo> ParseInfo(std::string_view body);

/// The engine's error text from a JSON error body ({"message": "..."}), else the body, cut short.
std::string EngineErrorMessage(std::string_view body);

}  // namespace evonic::collectors
