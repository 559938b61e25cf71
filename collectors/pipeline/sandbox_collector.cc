#include "collectors/pipeline/sandbox_collector.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

namespace evonic::collectors {

namespace {
constexpr long kNotFound = 404;
constexpr long kBadRequest = 400;

std::string Describe(const HttpAnswer& a) {
  if (!a.transport_error.empty()) return a.transport_error;
  return "HTTP " + std::to_string(a.status) + ": " + EngineErrorMessage(a.body);
}

std::string ShortId(const std::string& id) { return id.substr(0, 12); }
}  // namespace

SandboxCollector::SandboxCollector(const DockerClient& client, IdentityResolver identity,
                                   Options options, logging::Logger& log)
    : client_(client), identity_(std::move(identity)), options_(std::move(options)), log_(log) {}

std::string SandboxCollector::ApiPath(const std::string& path) const {
  return "/v" + api_->ToString() + path;
}

void SandboxCollector::ReportEngine(bool up, const std::string& why) {
  if (up) {
    if (!engine_up_logged_) {
      log_.Info(engine_down_logged_ ? "docker engine is back" : "docker engine reachable",
                {{"docker_host", client_.options().endpoint.text},
                 {"api_version", api_ ? api_->ToString() : ""}});
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
               {{"docker_host", client_.options().endpoint.text}, {"err", why}});
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

bool SandboxCollector::EnsureApiVersion(CycleResult& result) {
  if (api_) return true;
  HttpAnswer a = client_.Get("/version");
  if (!a.Ok()) {
    ++result.errors;
    ReportEngine(false, "GET /version: " + Describe(a));
    return false;
  }
  auto parsed = ParseVersion(a.body);
  if (!parsed.value) {
    ++result.errors;
    ReportEngine(false, "GET /version: " + parsed.error);
    return false;
  }
  api_ = NegotiateApiVersion(*parsed.value);
  log_.Debug("negotiated engine API version", {{"api_version", api_->ToString()},
                                               {"engine_api_version", parsed.value->api.ToString()},
                                               {"engine_version", parsed.value->engine_version}});
  return true;
}

CycleResult SandboxCollector::Collect(std::shared_ptr<const model::EvonicView> evonic) {
  if (!evonic) {
    sessions_.reset();
  } else if (!sessions_ || &sessions_->view() != evonic.get()) {
    sessions_.emplace(evonic);  // a new view: index its sessions once
  }
  CycleResult result;
  if (!EnsureApiVersion(result)) {
    known_.clear();
    return result;
  }
  result.api_version = api_->ToString();

  // 1. Which sandboxes are live.
  const std::string filters = R"({"label":[)" + nlohmann::json(options_.label_filter).dump() + "]}";
  HttpAnswer list_answer = client_.Get(ApiPath("/containers/json?filters=" + UrlEncode(filters)));
  if (!list_answer.Ok()) {
    ++result.errors;
    // A refused version (engine upgraded underneath us) or a lost engine: negotiate again.
    if (list_answer.status == kBadRequest || !list_answer.transport_error.empty()) api_.reset();
    ReportEngine(false, "GET /containers/json: " + Describe(list_answer));
    return result;
  }
  auto list = ParseContainerList(list_answer.body);
  if (!list.value) {
    ++result.errors;
    ReportEngine(false, "GET /containers/json: " + list.error);
    return result;
  }
  result.engine_up = true;
  ReportEngine(true, "");

  // Forget containers that are gone.
  std::set<std::string> live;
  for (const ContainerRef& ref : *list.value) live.insert(ref.id);
  for (auto it = known_.begin(); it != known_.end();) {
    it = live.count(it->first) ? std::next(it) : known_.erase(it);
  }

  // 2. Inspect what is new, all at once.
  std::vector<const ContainerRef*> to_inspect;
  std::vector<std::string> inspect_paths;
  for (const ContainerRef& ref : *list.value) {
    if (!known_[ref.id].details) {
      to_inspect.push_back(&ref);
      inspect_paths.push_back(ApiPath("/containers/" + ref.id + "/json"));
    }
  }
  std::set<std::string> gone;
  std::vector<HttpAnswer> inspected = client_.GetAll(inspect_paths);
  for (std::size_t i = 0; i < inspected.size(); ++i) {
    const ContainerRef& ref = *to_inspect[i];
    if (inspected[i].status == kNotFound) {
      gone.insert(ref.id);  // removed between list and inspect: not an error
      continue;
    }
    if (!inspected[i].Ok()) {
      ++result.errors;
      ReportContainer(known_[ref.id], ref, "inspect: " + Describe(inspected[i]));
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

  // 3. Stats of every live sandbox, concurrently: a cycle costs about one stats call.
  std::vector<const ContainerRef*> sampled;
  std::vector<std::string> stats_paths;
  const std::string stats_query =
      *api_ < kOneShotApiVersion ? "?stream=false" : "?stream=false&one-shot=true";
  for (const ContainerRef& ref : *list.value) {
    if (gone.count(ref.id)) continue;
    sampled.push_back(&ref);
    stats_paths.push_back(ApiPath("/containers/" + ref.id + "/stats" + stats_query));
  }
  std::vector<HttpAnswer> stats = client_.GetAll(stats_paths);

  for (std::size_t i = 0; i < stats.size(); ++i) {
    const ContainerRef& ref = *sampled[i];
    if (stats[i].status == kNotFound) {
      known_.erase(ref.id);  // removed between list and stats: its series go now
      continue;
    }
    Known& known = known_[ref.id];
    model::Sandbox s;
    s.container_id = ref.id;
    s.container_name = ref.name;
    Identity id = identity_.Resolve(ref.name, ref.labels);
    s.agent_id = id.agent_id;
    s.session_id = id.session_id;
    s.identity_matched = id.matched;
    if (sessions_) {
      // Evonic's database is the authority: the session row the name points to, and its agent.
      if (auto row = sessions_->Match(id.session_id)) {
        s.session_id = row->id;
        s.agent_id = row->agent_id;
        s.identity_matched = true;
        s.in_evonic_db = true;
      } else {
        ++result.not_in_evonic_db;
      }
    }
    if (!s.identity_matched) ++result.unmatched;
    s.image = ref.image;
    if (known.details) {
      if (!known.details->image.empty()) s.image = known.details->image;
      s.network_mode = known.details->network_mode;
      s.limits = known.details->limits;
      s.start_time_seconds = known.details->start_time_seconds;
    }
    std::string error;
    if (!stats[i].Ok()) {
      error = "stats: " + Describe(stats[i]);
    } else {
      StatsParseResult parsed = ParseStats(stats[i].body);
      if (!parsed.reading) {
        error = parsed.error;
      } else if (!parsed.reading->stopped) {
        // A stopped container's all-zero answer is no sample: nothing is exported, nothing reset.
        const StatsReading* previous = known.previous ? &*known.previous : nullptr;
        s.usage = ComputeUsage(*parsed.reading, previous, s.network_mode);
        known.previous = std::move(parsed.reading);
      }
    }
    if (!error.empty()) ++result.errors;
    if (known.details || !error.empty()) ReportContainer(known, ref, error);
    result.sandboxes.push_back(std::move(s));
  }
  MakeLabelSetsUnique(result.sandboxes);
  return result;
}

void MakeLabelSetsUnique(std::vector<model::Sandbox>& sandboxes) {
  auto key = [](const model::Sandbox& s) {
    return std::tie(s.agent_id, s.session_id, s.container_id);
  };
  std::sort(sandboxes.begin(), sandboxes.end(),
            [&](const model::Sandbox& a, const model::Sandbox& b) { return key(a) < key(b); });
  std::set<std::pair<std::string, std::string>> seen;
  for (model::Sandbox& s : sandboxes) {
    if (!seen.emplace(s.agent_id, s.session_id).second) {
      s.session_id += "@" + ShortId(s.container_id);
      seen.emplace(s.agent_id, s.session_id);
    }
  }
  std::sort(sandboxes.begin(), sandboxes.end(),
            [&](const model::Sandbox& a, const model::Sandbox& b) { return key(a) < key(b); });
}

}  // namespace evonic::collectors
