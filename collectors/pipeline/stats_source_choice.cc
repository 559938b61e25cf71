#include "collectors/pipeline/stats_source_choice.h"

#include <utility>

#include "collectors/docker/docker_engine.h"

namespace evonic::collectors {

std::optional<StatsSourceMode> ParseStatsSourceMode(std::string_view text) {
  if (text == "auto") return StatsSourceMode::kAuto;
  if (text == "cgroupfs") return StatsSourceMode::kCgroupfs;
  if (text == "engine") return StatsSourceMode::kEngine;
  return std::nullopt;
}

StatsSourceChoice::StatsSourceChoice(StatsSourceMode mode, cgroupfs::HostPaths paths,
                                     EngineApi& engine, const model::Clock& clock,
                                     logging::Logger& log)
    : mode_(mode),
      paths_(std::move(paths)),
      engine_(engine),
      clock_(clock),
      log_(log),
      engine_source_(engine) {}

bool StatsSourceChoice::TryCgroupfs(std::string* why) {
  HttpAnswer answer = engine_.Info();
  if (!answer.Ok()) {
    *why = "GET /info: " + DescribeAnswer(answer);
    return false;
  }
  Parsed<EngineInfo> info = ParseInfo(answer.body);
  if (!info.value) {
    *why = "GET /info: " + info.error;
    return false;
  }
  cgroupfs::CgroupLayout layout;
  layout.systemd_driver = info.value->cgroup_driver == "systemd";
  if (info.value->cgroup_version == "2") {
    layout.version = 2;
  } else if (info.value->cgroup_version.empty()) {
    // Engines before API 1.40 do not say; the hierarchy at the root does.
    cgroupfs::CgroupReader probe(paths_, cgroupfs::CgroupLayout{2, layout.systemd_driver});
    std::string ignored;
    layout.version = probe.HierarchyPresent(&ignored) ? 2 : 1;
  }
  cgroupfs::CgroupReader reader(paths_, layout);
  if (!reader.HierarchyPresent(why)) return false;
  if (!reader.ReadHost(why)) return false;
  cgroupfs_ = std::make_unique<CgroupfsStatsSource>(std::move(reader), clock_);
  *why = "cgroup v" + std::to_string(layout.version) + " (" +
         (layout.systemd_driver ? "systemd" : "cgroupfs") + " driver) readable at " +
         paths_.cgroupfs;
  return true;
}

void StatsSourceChoice::Use(bool cgroupfs, const std::string& reason) {
  using_cgroupfs_ = cgroupfs;
  source_ = cgroupfs ? "cgroupfs" : "engine";
  log_.Info("stats source chosen", {{"source", source_}, {"reason", reason}});
}

StatsSource& StatsSourceChoice::ForCycle() {
  if (!source_.empty()) {
    if (using_cgroupfs_) return *cgroupfs_;
    return engine_source_;
  }
  if (mode_ == StatsSourceMode::kEngine) {
    Use(false, "--collector.stats-source=engine");
    return engine_source_;
  }
  std::string why;
  if (TryCgroupfs(&why)) {
    Use(true, why);
    return *cgroupfs_;
  }
  if (mode_ == StatsSourceMode::kAuto) {
    Use(false, "cgroupfs cannot be used: " + why);
    return engine_source_;
  }
  // Explicit cgroupfs that cannot work yet: no values, said once per reason, tried every cycle.
  if (why != last_failure_) {
    log_.Error(
        "--collector.stats-source=cgroupfs cannot read cgroupfs; sandboxes have no "
        "resource values until it can",
        {{"err", why}});
    last_failure_ = why;
  }
  unavailable_.reason = "cgroupfs: " + why;
  return unavailable_;
}

void StatsSourceChoice::FallBack(const std::string& reason) {
  if (mode_ != StatsSourceMode::kAuto || !using_cgroupfs_) return;
  using_cgroupfs_ = false;
  source_ = "engine";
  log_.Warn("stats source falls back to the engine for the rest of this run",
            {{"source", source_}, {"reason", reason}});
}

}  // namespace evonic::collectors
