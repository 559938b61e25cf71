#pragma once
// An EngineApi held in memory for unit tests of the pipeline: it serves answers recorded from a
// real engine (tests/fixtures), set per container, and logs what was asked. The Python fake
// engine (tests/fake_engine) stays for the integration tests of the real HTTP client.

#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "collectors/docker/engine_api.h"

namespace evonic::test {

/// \brief A scripted engine. Thread-safe.
class InMemoryEngine final : public collectors::EngineApi {
 public:
  /// The answer to GET /version; nullopt makes the engine unreachable.
  void SetVersion(std::optional<std::string> version_body) {
    std::lock_guard<std::mutex> lock(mu_);
    version_ = std::move(version_body);
  }
  void SetList(std::string body, long status = 200) {
    std::lock_guard<std::mutex> lock(mu_);
    list_ = Answer(status, std::move(body));
  }
  void SetInspect(const std::string& id, std::string body, long status = 200) {
    std::lock_guard<std::mutex> lock(mu_);
    inspect_[id] = Answer(status, std::move(body));
  }
  void SetStats(const std::string& id, std::string body, long status = 200) {
    std::lock_guard<std::mutex> lock(mu_);
    stats_[id] = Answer(status, std::move(body));
  }
  /// The answer to a stats query with the engine's previous sample (StatsSample::kWithPrevious);
  /// none set: the one-shot answer.
  void SetStatsWithPrevious(const std::string& id, std::string body, long status = 200) {
    std::lock_guard<std::mutex> lock(mu_);
    stats_with_previous_[id] = Answer(status, std::move(body));
  }
  /// The answer to GET /info (none set: 404).
  void SetInfo(std::string body, long status = 200) {
    std::lock_guard<std::mutex> lock(mu_);
    info_ = Answer(status, std::move(body));
  }
  /// What was asked, in order: "version", "info", "list", "inspect <id>", "stats <id>" (one-shot),
  /// "stats+previous <id>" (with the engine's previous sample), "events".
  std::vector<std::string> Requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

  std::optional<collectors::ApiVersion> Version(std::string* why) override {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.push_back("version");
    if (!version_) {
      *why = "GET /version: cannot connect to unix socket /in-memory";
      return std::nullopt;
    }
    auto parsed = collectors::ParseVersion(*version_);
    if (!parsed.value) {
      *why = "GET /version: " + parsed.error;
      return std::nullopt;
    }
    return collectors::NegotiateApiVersion(*parsed.value);
  }
  collectors::HttpAnswer Info() override {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.push_back("info");
    return version_ ? info_ : Unreachable();
  }
  collectors::HttpAnswer ListContainers(const std::string& /*label_filter*/) override {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.push_back("list");
    return version_ ? list_ : Unreachable();
  }
  collectors::HttpAnswer Inspect(const std::string& id) override {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.push_back("inspect " + id);
    return Find(inspect_, id);
  }
  std::vector<collectors::HttpAnswer> InspectAll(const std::vector<std::string>& ids) override {
    std::vector<collectors::HttpAnswer> out;
    for (const std::string& id : ids) out.push_back(Inspect(id));
    return out;
  }
  std::vector<collectors::HttpAnswer> StatsAll(
      const std::vector<collectors::StatsQuery>& queries) override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<collectors::HttpAnswer> out;
    for (const collectors::StatsQuery& q : queries) {
      const bool with_previous = q.sample == collectors::StatsSample::kWithPrevious;
      requests_.push_back((with_previous ? "stats+previous " : "stats ") + q.id);
      out.push_back(with_previous && stats_with_previous_.count(q.id)
                        ? Find(stats_with_previous_, q.id)
                        : Find(stats_, q.id));
    }
    return out;
  }
  collectors::EventStreamEnd FollowEvents(const std::string& /*label_filter*/,
                                          std::int64_t /*since_nano*/,
                                          const collectors::EventStreamSink& /*sink*/,
                                          const collectors::StopSignal& /*stop*/) override {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.push_back("events");
    return {false, "the in-memory engine has no event stream"};
  }
  std::string Where() const override { return "in-memory"; }

 private:
  static collectors::HttpAnswer Answer(long status, std::string body) {
    collectors::HttpAnswer a;
    a.status = status;
    a.body = std::move(body);
    return a;
  }
  collectors::HttpAnswer Unreachable() const {
    collectors::HttpAnswer a;
    a.transport_error = "cannot connect to unix socket /in-memory";
    return a;
  }
  collectors::HttpAnswer Find(const std::map<std::string, collectors::HttpAnswer>& table,
                              const std::string& id) const {
    if (!version_) return Unreachable();
    auto it = table.find(id);
    return it != table.end() ? it->second
                             : Answer(404, R"({"message":"No such container: )" + id + "\"}");
  }

  mutable std::mutex mu_;
  std::optional<std::string> version_;
  collectors::HttpAnswer list_ = Answer(200, "[]");
  collectors::HttpAnswer info_ = Answer(404, R"({"message":"page not found"})");
  std::map<std::string, collectors::HttpAnswer> inspect_;
  std::map<std::string, collectors::HttpAnswer> stats_;
  std::map<std::string, collectors::HttpAnswer> stats_with_previous_;
  std::vector<std::string> requests_;
};

}  // namespace evonic::test
