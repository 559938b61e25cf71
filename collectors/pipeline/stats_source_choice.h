#pragma once
// Which stats source a cycle reads (--collector.stats-source=auto|cgroupfs|engine), decided once
// the engine can say where its cgroups are, and given up in auto mode when cgroupfs proves wrong.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "collectors/cgroupfs/cgroup_reader.h"
#include "collectors/docker/engine_api.h"
#include "collectors/pipeline/stats_sources.h"
#include "logging/logger.h"
#include "model/clock.h"

namespace evonic::collectors {

enum class StatsSourceMode { kAuto, kCgroupfs, kEngine };
/// "auto", "cgroupfs" or "engine"; nullopt for anything else.
std::optional<StatsSourceMode> ParseStatsSourceMode(std::string_view text);

/// \brief The stats source of each cycle, and why.
///
/// engine: always the engine's stats API. cgroupfs: always cgroupfs; while it cannot be used
/// (no /info, no hierarchy at --path.cgroupfs, no /proc/stat) sandboxes have no values and the
/// reason is logged once. auto: cgroupfs when /info and the files allow it, else the engine;
/// FallBack() (a disagreement with the engine, a live sandbox whose cgroup cannot be read) makes
/// it the engine for the rest of the exporter's life. Every choice is logged once with its
/// reason. For the collection thread only (not thread-safe).
class StatsSourceChoice {
 public:
  StatsSourceChoice(StatsSourceMode mode, cgroupfs::HostPaths paths, EngineApi& engine,
                    const model::Clock& clock, logging::Logger& log);

  /// The source for this cycle (the engine is up); decides first if undecided.
  StatsSource& ForCycle();
  /// The engine's source, e.g. for a second look at what cgroupfs could not read.
  StatsSource& engine() { return engine_source_; }
  /// The cgroupfs source when it is the one in use, else null.
  CgroupfsStatsSource* cgroupfs() { return using_cgroupfs_ ? cgroupfs_.get() : nullptr; }
  /// auto mode: use the engine from now on; other modes: nothing. Logged once.
  void FallBack(const std::string& reason);
  StatsSourceMode mode() const { return mode_; }
  /// "cgroupfs" or "engine"; empty until decided.
  const std::string& source() const { return source_; }

 private:
  bool TryCgroupfs(std::string* why);
  void Use(bool cgroupfs, const std::string& reason);

  const StatsSourceMode mode_;
  const cgroupfs::HostPaths paths_;
  EngineApi& engine_;
  const model::Clock& clock_;
  logging::Logger& log_;
  EngineStatsSource engine_source_;
  UnavailableStatsSource unavailable_;
  std::unique_ptr<CgroupfsStatsSource> cgroupfs_;
  bool using_cgroupfs_ = false;
  std::string source_;
  std::string last_failure_;  // explicit cgroupfs mode: logged once per distinct reason
};

}  // namespace evonic::collectors
