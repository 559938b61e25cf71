#pragma once
// The two ways a cycle reads its sandboxes' counters: the engine's stats API, or cgroupfs
// directly. Both end in the same StatsReading, which ComputeUsage turns into values.

#include <optional>
#include <string>
#include <vector>

#include "collectors/cgroupfs/cgroup_reader.h"
#include "collectors/docker/engine_answers.h"
#include "collectors/docker/engine_api.h"
#include "collectors/docker/stats_parser.h"
#include "model/clock.h"

namespace evonic::collectors {

/// One sandbox a cycle reads.
struct StatsTarget {
  std::string id;
  const ContainerDetails* details = nullptr;  // its inspect details; null while they failed
  // No sample of it yet: the engine is asked for one with its previous sample (precpu), so that
  // its CPU % exists from its first cycle.
  bool first = false;
};

/// What a source says of one sandbox.
struct StatsOutcome {
  bool gone = false;                    // the engine no longer has it (404): not an error
  std::optional<StatsReading> reading;  // with cgroupfs, possibly partial (see `error`)
  std::string error;                    // why values are missing; empty when none are
};

/// \brief Reads every target once per cycle. Implementations are used by the collection thread
/// only (not thread-safe).
class StatsSource {
 public:
  virtual ~StatsSource() = default;
  /// One outcome per target, in order.
  virtual std::vector<StatsOutcome> ReadAll(const std::vector<StatsTarget>& targets) = 0;
};

/// GET /containers/{id}/stats for every target at once (EngineApi::StatsAll): one-shot, or with
/// the engine's previous sample for a `first` target.
class EngineStatsSource final : public StatsSource {
 public:
  explicit EngineStatsSource(EngineApi& engine) : engine_(engine) {}
  std::vector<StatsOutcome> ReadAll(const std::vector<StatsTarget>& targets) override;

 private:
  EngineApi& engine_;
};

/// No values for anyone, with the reason (explicit cgroupfs while cgroupfs cannot be read).
class UnavailableStatsSource final : public StatsSource {
 public:
  std::vector<StatsOutcome> ReadAll(const std::vector<StatsTarget>& targets) override {
    std::vector<StatsOutcome> out(targets.size());
    for (StatsOutcome& o : out) o.error = reason;
    return out;
  }
  std::string reason;
};

/// The cgroup of every target, located from its inspect details (CgroupParent) and the engine's
/// layout, read with the engine's formulas; /proc/stat once per cycle for all. The cgroup files
/// stay open from one ReadAll to the next (KeptFiles) while their sandbox is read; ReadAll is
/// for one thread at a time (the stats cycle's).
class CgroupfsStatsSource final : public StatsSource {
 public:
  CgroupfsStatsSource(cgroupfs::CgroupReader reader, const model::Clock& clock)
      : reader_(std::move(reader)), clock_(clock) {}
  std::vector<StatsOutcome> ReadAll(const std::vector<StatsTarget>& targets) override;
  const cgroupfs::CgroupReader& reader() const { return reader_; }

  /// The cgroup path of a sandbox, and the pid whose net/dev counts its network (0: none to read:
  /// --network none or host or another container's namespace, where the engine reports none).
  struct Located {
    std::string path;
    std::int64_t network_pid = 0;
  };
  static Located Locate(const cgroupfs::CgroupLayout& layout, const StatsTarget& target);

 private:
  cgroupfs::CgroupReader reader_;
  cgroupfs::KeptFiles kept_;
  const model::Clock& clock_;
};

}  // namespace evonic::collectors
