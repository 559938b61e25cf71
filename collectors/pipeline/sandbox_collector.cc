#include "collectors/pipeline/sandbox_collector.h"

#include <functional>
#include <set>
#include <utility>

#include "collectors/docker/docker_engine.h"

namespace evonic::collectors {

namespace {
// cgroupfs is checked against the engine at most this often (one sandbox each time).
constexpr std::chrono::seconds kCheckEvery{10};
// A reused container list is asked again at least this often, events or not.
constexpr std::chrono::seconds kRelistEvery{10};

// CPU % from the exporter's own two readings needs at least this much time between them.
constexpr double kMinCpuWindowSeconds = 0.5;

std::string ShortId(const std::string& id) { return id.substr(0, 12); }

// True when `reading` carries no previous sample of its own and was taken too soon after
// `previous` for its CPU delta to mean anything.
bool TooSoonForCpu(const StatsReading& reading, const StatsReading* previous) {
  if (previous == nullptr || (reading.precpu.system_ns && *reading.precpu.system_ns > 0)) {
    return false;
  }
  if (!reading.read_time_seconds || !previous->read_time_seconds) return false;
  return *reading.read_time_seconds - *previous->read_time_seconds < kMinCpuWindowSeconds;
}
}  // namespace

const std::vector<ContainerRef>* SandboxCollector::ListSandboxes(CycleResult& result) {
  const ContainerSetWatch* watch = options_.container_set;
  const auto now = std::chrono::steady_clock::now();
  if (watch != nullptr && last_list_ && !list_stale_ && watch->following() &&
      watch->changes() == last_list_changes_ && now - last_list_at_ < kRelistEvery) {
    return &*last_list_;
  }
  last_list_.reset();
  list_stale_ = false;
  // Read before asking: an event that arrives while the list is made moves the count again.
  const std::uint64_t changes = watch != nullptr ? watch->changes() : 0;
  HttpAnswer list_answer = engine_.ListContainers(options_.label_filter);
  if (!list_answer.Ok()) {
    ++result.errors;
    ReportEngine(false, "GET /containers/json: " + DescribeAnswer(list_answer));
    return nullptr;
  }
  auto list = ParseContainerList(list_answer.body);
  if (!list.value) {
    ++result.errors;
    ReportEngine(false, "GET /containers/json: " + list.error);
    return nullptr;
  }
  last_list_ = std::move(list.value);
  last_list_changes_ = changes;
  last_list_at_ = now;
  return &*last_list_;
}

SandboxCollector::SandboxCollector(EngineApi& engine, SandboxBuilder& builder,
                                   StatsSourceChoice& stats, Options options, logging::Logger& log,
                                   StatsVerifier* verifier)
    : engine_(engine),
      builder_(builder),
      stats_(stats),
      verifier_(verifier),
      options_(std::move(options)),
      log_(log) {}

void SandboxCollector::ReportEngine(bool up, const std::string& why) {
  if (up) {
    if (!engine_up_logged_) {
      log_.Info(engine_down_logged_ ? "docker engine is back" : "docker engine reachable",
                {{"docker_host", engine_.Where()}, {"api_version", api_version_}});
    }
    engine_up_logged_ = true;
    engine_down_logged_ = false;
    engine_error_.clear();
    return;
  }
  // Said once per outage; later cycles may fail differently (list, then /version) but the state
  // is the same, so the details go to debug.
  if (!engine_down_logged_) {
    log_.Error("docker engine unreachable; serving exporter metrics only until it answers",
               {{"docker_host", engine_.Where()}, {"err", why}});
  } else if (why != engine_error_) {
    log_.Debug("docker engine still unreachable", {{"err", why}});
  }
  engine_down_logged_ = true;
  engine_up_logged_ = false;
  engine_error_ = why;
}

void SandboxCollector::ReportContainer(Known& known, const ContainerRef& ref,
                                       const std::string& error) {
  if (error == known.last_error) return;
  if (error.empty()) {
    log_.Info("sandbox stats usable again", {{"container", ref.name}});
  } else {
    log_.Warn("sandbox stats unusable; exporting it without resource values",
              {{"container", ref.name}, {"container_id", ShortId(ref.id)}, {"err", error}});
  }
  known.last_error = error;
}

CycleResult SandboxCollector::Collect() {
  CycleResult result;
  std::string why;
  std::optional<ApiVersion> version = engine_.Version(&why);
  if (!version) {
    ++result.errors;
    ReportEngine(false, why);
    known_.clear();
    return result;
  }
  result.api_version = api_version_ = version->ToString();

  // 1. Which sandboxes are live.
  const std::vector<ContainerRef>* listed = ListSandboxes(result);
  if (listed == nullptr) return result;
  result.engine_up = true;
  ReportEngine(true, "");

  // Forget containers that are gone.
  std::set<std::string> live;
  for (const ContainerRef& ref : *listed) live.insert(ref.id);
  for (auto it = known_.begin(); it != known_.end();) {
    it = live.count(it->first) ? std::next(it) : known_.erase(it);
  }

  // 2. Inspect what is new, all at once.
  std::vector<const ContainerRef*> to_inspect;
  std::vector<std::string> inspect_ids;
  for (const ContainerRef& ref : *listed) {
    if (!known_[ref.id].details) {
      to_inspect.push_back(&ref);
      inspect_ids.push_back(ref.id);
    }
  }
  std::set<std::string> gone;
  std::vector<HttpAnswer> inspected = engine_.InspectAll(inspect_ids);
  for (std::size_t i = 0; i < inspected.size(); ++i) {
    const ContainerRef& ref = *to_inspect[i];
    if (inspected[i].NotFound()) {
      gone.insert(ref.id);  // removed between list and inspect: not an error
      list_stale_ = true;
      continue;
    }
    if (!inspected[i].Ok()) {
      ++result.errors;
      ReportContainer(known_[ref.id], ref, "inspect: " + DescribeAnswer(inspected[i]));
      continue;  // retried next cycle
    }
    auto details = ParseInspect(inspected[i].body);
    if (!details.value) {
      ++result.errors;
      ReportContainer(known_[ref.id], ref, details.error);
      continue;
    }
    known_[ref.id].details = std::move(details.value);
  }

  // 3. Stats of every live sandbox, all at once (the engine: concurrently; a cycle costs about
  // one stats call) or from cgroupfs.
  std::vector<const ContainerRef*> sampled;
  std::vector<StatsTarget> targets;
  for (const ContainerRef& ref : *listed) {
    if (gone.count(ref.id)) continue;
    sampled.push_back(&ref);
    const Known& known = known_[ref.id];
    targets.push_back({ref.id, known.details ? &*known.details : nullptr, !known.previous});
  }
  if (verifier_ != nullptr) {
    if (auto disagreement = verifier_->TakeDisagreement()) {
      stats_.FallBack("cgroupfs disagrees with the engine: " + *disagreement);
    }
  }
  StatsSource& source = stats_.ForCycle();
  const bool from_cgroupfs = &source == stats_.cgroupfs();
  std::vector<StatsOutcome> outcomes = source.ReadAll(targets);
  if (from_cgroupfs) {
    std::vector<bool> from_engine(outcomes.size(), false);
    if (stats_.mode() == StatsSourceMode::kAuto) from_engine = SecondLook(targets, outcomes);
    FirstSamples(targets, from_engine, outcomes);
  }

  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    const ContainerRef& ref = *sampled[i];
    StatsOutcome& outcome = outcomes[i];
    if (outcome.gone) {
      known_.erase(ref.id);  // removed between list and stats: its series go now
      list_stale_ = true;
      continue;
    }
    Known& known = known_[ref.id];
    // The cycle read Evonic's database at its start: a session missing now is missing.
    model::Sandbox s = builder_.Build(ref, known.details ? &*known.details : nullptr,
                                      SandboxBuilder::OnMiss::kUseTheView);
    if (builder_.has_database() && !s.in_evonic_db) ++result.not_in_evonic_db;
    if (!s.identity_matched) ++result.unmatched;
    if (outcome.reading && !outcome.reading->stopped) {
      // A stopped container's all-zero answer is no sample: nothing is exported, nothing reset.
      // A partial cgroupfs reading gives the values it has.
      const StatsReading* previous = known.previous ? &*known.previous : nullptr;
      s.usage = ComputeUsage(*outcome.reading, previous, s.network_mode);
      if (TooSoonForCpu(*outcome.reading, previous)) {
        // A cycle right after another (an early one the events asked for, after one that waited
        // on the engine) sees too little time pass for a CPU % worth the name: the last one
        // stays, and so does the reading the next is measured from.
        s.usage->cpu_utilization_ratio = known.last_cpu_ratio;
      } else {
        known.previous = std::move(outcome.reading);
      }
      known.last_cpu_ratio = s.usage->cpu_utilization_ratio;
    }
    const std::string& error = outcome.error;
    // A sandbox removed while its stats were read: the engine ends the answer without a sample
    // (seen under churn: "not valid JSON") or with an error, cgroupfs finds no cgroup. Asked
    // once more, gone is no error.
    if (!error.empty() && engine_.Inspect(ref.id).NotFound()) {
      known_.erase(ref.id);
      list_stale_ = true;
      continue;
    }
    if (!error.empty()) ++result.errors;
    if (known.details || !error.empty()) ReportContainer(known, ref, error);
    result.sandboxes.push_back(std::move(s));
  }
  if (from_cgroupfs) Verify(targets, sampled);
  result.stats_source = stats_.source();
  if (verifier_ != nullptr) {
    result.checks_agreed = verifier_->agreed();
    result.checks_disagreed = verifier_->disagreed();
  }
  MakeLabelSetsUnique(result.sandboxes);
  return result;
}

std::vector<std::pair<std::size_t, StatsOutcome>> SandboxCollector::AskEngine(
    const std::vector<StatsTarget>& targets, const std::function<bool(std::size_t)>& pick) {
  std::vector<StatsTarget> picked;
  std::vector<std::size_t> at;
  for (std::size_t i = 0; i < targets.size(); ++i) {
    if (pick(i)) {
      picked.push_back(targets[i]);
      at.push_back(i);
    }
  }
  std::vector<std::pair<std::size_t, StatsOutcome>> answers;
  if (picked.empty()) return answers;
  std::vector<StatsOutcome> from_engine = stats_.engine().ReadAll(picked);
  for (std::size_t k = 0; k < from_engine.size(); ++k) {
    answers.emplace_back(at[k], std::move(from_engine[k]));
  }
  return answers;
}

std::vector<bool> SandboxCollector::SecondLook(const std::vector<StatsTarget>& targets,
                                               std::vector<StatsOutcome>& outcomes) {
  std::vector<bool> asked(outcomes.size(), false);
  // Also a partial reading (a controller or file it cannot read): the engine may have it all.
  auto answers = AskEngine(targets, [&outcomes](std::size_t i) {
    return !outcomes[i].error.empty() && !outcomes[i].gone;
  });
  for (auto& [i, engine] : answers) {
    // (Without inspect details cgroupfs could not look, which says nothing against it.)
    if (targets[i].details != nullptr && engine.reading && !engine.reading->stopped) {
      // The engine has it and can read it, cgroupfs cannot: cgroupfs is wrong here.
      stats_.FallBack("cannot read all of the cgroup of a live sandbox (" + outcomes[i].error +
                      "); its engine answer was usable");
    }
    outcomes[i] = std::move(engine);
    asked[i] = true;
  }
  return asked;
}

void SandboxCollector::FirstSamples(const std::vector<StatsTarget>& targets,
                                    const std::vector<bool>& from_engine_already,
                                    std::vector<StatsOutcome>& outcomes) {
  auto answers = AskEngine(targets, [&](std::size_t i) {
    return targets[i].first && !outcomes[i].gone && !from_engine_already[i];
  });
  for (auto& [i, engine] : answers) {
    // An engine that cannot answer leaves the cgroupfs reading: CPU % then waits a cycle.
    if (engine.gone || (engine.reading && engine.error.empty())) outcomes[i] = std::move(engine);
  }
}

void SandboxCollector::Verify(const std::vector<StatsTarget>& targets,
                              const std::vector<const ContainerRef*>& refs) {
  if (verifier_ == nullptr) return;
  auto now = std::chrono::steady_clock::now();
  if (targets.empty() || now < next_check_ || stats_.cgroupfs() == nullptr) return;
  const StatsTarget& t = targets[check_turn_++ % targets.size()];
  if (t.details == nullptr) return;
  next_check_ = now + kCheckEvery;
  auto where = CgroupfsStatsSource::Locate(stats_.cgroupfs()->reader().layout(), t);
  verifier_->Offer(stats_.cgroupfs()->reader(), t.id, refs[&t - targets.data()]->name, where.path,
                   where.network_pid);
}

}  // namespace evonic::collectors
