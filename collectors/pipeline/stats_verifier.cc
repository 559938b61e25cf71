#include "collectors/pipeline/stats_verifier.h"

#include <chrono>
#include <utility>

#include "collectors/pipeline/stats_check.h"

namespace evonic::collectors {

StatsVerifier::StatsVerifier(EngineApi& engine, logging::Logger& log)
    : engine_(engine), log_(log) {}

void StatsVerifier::Start() {
  worker_.Start([this] { Run(); });
}

void StatsVerifier::Stop() { worker_.Stop(); }

void StatsVerifier::Offer(const cgroupfs::CgroupReader& reader, const std::string& id,
                          const std::string& name, const std::string& path,
                          std::int64_t network_pid) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (busy_ || pending_) return;
    pending_ = Check{reader, id, name, path, network_pid};
  }
  worker_.Wake();
}

std::optional<std::string> StatsVerifier::TakeDisagreement() {
  std::lock_guard<std::mutex> lock(mu_);
  return std::exchange(untaken_, std::nullopt);
}

void StatsVerifier::Run() {
  for (;;) {
    auto woke = worker_.SleepFor(std::chrono::hours(24));
    if (woke == WorkerThread::Woke::kStopping) return;
    std::optional<Check> check;
    {
      std::lock_guard<std::mutex> lock(mu_);
      check = std::exchange(pending_, std::nullopt);
      busy_ = check.has_value();
    }
    if (check) RunCheck(*check);
    std::lock_guard<std::mutex> lock(mu_);
    busy_ = false;
  }
}

void StatsVerifier::RunCheck(const Check& c) {
  std::string why;
  auto read = [&]() -> std::optional<StatsReading> {
    auto host = c.reader.ReadHost(&why);
    if (!host) return std::nullopt;
    cgroupfs::CgroupRead r = c.reader.Read(c.path, *host, 0, c.network_pid);
    return r.gone ? std::nullopt : std::move(r.reading);
  };
  std::optional<StatsReading> before = read();
  if (!before) return;
  std::vector<HttpAnswer> answers = engine_.StatsAll({{c.id, StatsSample::kOneShot}});
  if (answers.size() != 1 || !answers[0].Ok()) return;  // gone, or the engine is away
  StatsParseResult engine = ParseStats(answers[0].body);
  if (!engine.reading || engine.reading->stopped) return;
  std::optional<StatsReading> after = read();
  if (!after) return;
  std::string d = CompareWithEngine(*before, *engine.reading, *after);
  if (d.empty()) {
    ++agreed_;
    return;
  }
  ++disagreed_;
  std::lock_guard<std::mutex> lock(mu_);
  untaken_ = c.name + ": " + d;
  if (!logged_) {
    log_.Warn("cgroupfs and the engine disagree on a sandbox's stats",
              {{"container", c.name}, {"err", d}});
    logged_ = true;
  }
}

}  // namespace evonic::collectors
