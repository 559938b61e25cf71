#include "collectors/pipeline/stats_sources.h"

#include <utility>

#include "collectors/docker/docker_engine.h"

namespace evonic::collectors {

std::vector<StatsOutcome> EngineStatsSource::ReadAll(const std::vector<StatsTarget>& targets) {
  std::vector<StatsQuery> queries;
  queries.reserve(targets.size());
  for (const StatsTarget& t : targets) {
    queries.push_back({t.id, t.first ? StatsSample::kWithPrevious : StatsSample::kOneShot});
  }
  std::vector<HttpAnswer> answers = engine_.StatsAll(queries);
  std::vector<StatsOutcome> out(answers.size());
  for (std::size_t i = 0; i < answers.size(); ++i) {
    if (answers[i].NotFound()) {
      out[i].gone = true;
    } else if (!answers[i].Ok()) {
      out[i].error = "stats: " + DescribeAnswer(answers[i]);
    } else {
      StatsParseResult parsed = ParseStats(answers[i].body);
      out[i].reading = std::move(parsed.reading);
      out[i].error = std::move(parsed.error);
    }
  }
  return out;
}

CgroupfsStatsSource::Located CgroupfsStatsSource::Locate(const cgroupfs::CgroupLayout& layout,
                                                         const StatsTarget& target) {
  Located where;
  const std::string parent = target.details ? target.details->cgroup_parent : "";
  where.path = cgroupfs::ContainerCgroupPath(layout, target.id, parent);
  if (target.details && target.details->pid) {
    const std::string& mode = target.details->network_mode;
    const bool own_network =
        mode != "none" && mode != "host" && mode.rfind("container:", 0) != 0 && !mode.empty();
    if (own_network) where.network_pid = *target.details->pid;
  }
  return where;
}

std::vector<StatsOutcome> CgroupfsStatsSource::ReadAll(const std::vector<StatsTarget>& targets) {
  std::vector<StatsOutcome> out(targets.size());
  std::string why;
  std::optional<cgroupfs::HostSample> host = reader_.ReadHost(&why);
  const double now = clock_.NowSeconds();
  for (std::size_t i = 0; i < targets.size(); ++i) {
    if (!host) {
      out[i].error = "cgroupfs: " + why;
      continue;
    }
    if (targets[i].details == nullptr) {
      // Without inspect there is no CgroupParent; the cgroup may be elsewhere: no guess.
      out[i].error = "cgroupfs: no inspect details yet";
      continue;
    }
    Located where = Locate(reader_.layout(), targets[i]);
    cgroupfs::CgroupRead read = reader_.Read(where.path, *host, now, where.network_pid, &kept_);
    if (read.gone) {
      out[i].error = "cgroupfs: no cgroup at " + where.path;
      continue;
    }
    out[i].reading = std::move(read.reading);
    out[i].error = std::move(read.problem);
  }
  kept_.CloseUnused();  // the files of sandboxes not read this cycle
  return out;
}

}  // namespace evonic::collectors
