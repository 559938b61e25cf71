#pragma once
// The cgroupfs source checked against the engine, one sandbox at a time, off the cycle's path.

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "collectors/cgroupfs/cgroup_reader.h"
#include "collectors/docker/engine_api.h"
#include "collectors/pipeline/worker_thread.h"
#include "logging/logger.h"

namespace evonic::collectors {

/// \brief Compares a cgroupfs reading of one sandbox with the engine's stats answer for it
/// (CompareWithEngine: the engine's value must lie between a reading just before and one just
/// after), on a thread of its own: the engine's answer can take a second, which the collection
/// cycle must not wait for.
///
/// Offer() is for the collection thread; the counts and TakeDisagreement() are thread-safe.
/// A sandbox that goes away during a check is not counted. The first disagreement is logged once.
class StatsVerifier {
 public:
  StatsVerifier(EngineApi& engine, logging::Logger& log);
  ~StatsVerifier() { Stop(); }

  void Start();
  void Stop();

  /// Checks sandbox `id` (cgroup `path`, network read from `network_pid` if > 0) with `reader`;
  /// ignored while a check is pending or running.
  void Offer(const cgroupfs::CgroupReader& reader, const std::string& id, const std::string& name,
             const std::string& path, std::int64_t network_pid);

  std::uint64_t agreed() const { return agreed_.load(); }
  std::uint64_t disagreed() const { return disagreed_.load(); }
  /// The latest disagreement not yet taken ("<container>: <what>"), once.
  std::optional<std::string> TakeDisagreement();

 private:
  struct Check {
    cgroupfs::CgroupReader reader;
    std::string id, name, path;
    std::int64_t network_pid = 0;
  };
  void Run();
  void RunCheck(const Check& check);

  EngineApi& engine_;
  logging::Logger& log_;
  std::mutex mu_;
  std::optional<Check> pending_;  // guarded by mu_
  bool busy_ = false;             // guarded by mu_
  std::optional<std::string> untaken_;
  bool logged_ = false;
  std::atomic<std::uint64_t> agreed_{0}, disagreed_{0};
  WorkerThread worker_;  // last: stopped before the members its body uses
};

}  // namespace evonic::collectors
