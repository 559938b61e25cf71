#include "collectors/identity/sandbox_builder.h"

#include <algorithm>
#include <set>
#include <tuple>
#include <utility>

namespace evonic::collectors {

SandboxBuilder::SandboxBuilder(IdentityResolver rules, std::unique_ptr<EvonicDatabase> database,
                               std::chrono::milliseconds refresh_gap)
    : rules_(std::move(rules)), refresh_gap_(refresh_gap), database_(std::move(database)) {}

std::shared_ptr<const model::EvonicView> SandboxBuilder::RefreshEvonic() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!database_) return nullptr;
  return RefreshLocked(std::chrono::steady_clock::now());
}

std::shared_ptr<const model::EvonicView> SandboxBuilder::RefreshLocked(
    std::chrono::steady_clock::time_point now) {
  auto view = database_->Refresh();
  index_ = database_->session_index();
  last_refresh_ = now;
  return view;
}

std::shared_ptr<const SessionIndex> SandboxBuilder::Index(bool after_miss) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!database_) return nullptr;
  const auto now = std::chrono::steady_clock::now();
  if (!index_ || (after_miss && now - last_refresh_ >= refresh_gap_)) RefreshLocked(now);
  return index_;
}

SandboxIdentity SandboxBuilder::Resolve(const std::string& container_name,
                                        const std::map<std::string, std::string>& labels,
                                        OnMiss on_miss) {
  Identity rules = rules_.Resolve(container_name, labels);
  SandboxIdentity out{rules.agent_id, rules.session_id, rules.matched, false};
  std::shared_ptr<const SessionIndex> index = Index(false);
  if (!index) return out;
  std::optional<model::EvonicSession> row = index->Match(rules.session_id);
  if (!row && on_miss == OnMiss::kReadAgain) {
    std::shared_ptr<const SessionIndex> fresher = Index(true);
    if (fresher != index) row = fresher->Match(rules.session_id);
  }
  if (row) {
    // Evonic's database is the authority: the session row the name points to, and its agent.
    out.session_id = row->id;
    out.agent_id = row->agent_id;
    out.matched = true;
    out.in_evonic_db = true;
  }
  return out;
}

model::Sandbox SandboxBuilder::Build(const ContainerRef& ref, const ContainerDetails* details,
                                     OnMiss on_miss) {
  model::Sandbox s;
  s.container_id = ref.id;
  s.container_name = ref.name.substr(0, kMaxIdentityInputBytes);  // a label value: bounded
  SandboxIdentity id = Resolve(ref.name, ref.labels, on_miss);
  s.agent_id = std::move(id.agent_id);
  s.session_id = std::move(id.session_id);
  s.identity_matched = id.matched;
  s.in_evonic_db = id.in_evonic_db;
  s.image = ref.image;
  if (details != nullptr) {
    if (!details->image.empty()) s.image = details->image;
    s.network_mode = details->network_mode;
    s.limits = details->limits;
    s.start_time_seconds = details->start_time_seconds;
  }
  return s;
}

void MakeLabelSetsUnique(std::vector<model::Sandbox>& sandboxes) {
  auto key = [](const model::Sandbox& s) {
    return std::tie(s.agent_id, s.session_id, s.container_id);
  };
  auto by_key = [&](const model::Sandbox& a, const model::Sandbox& b) { return key(a) < key(b); };
  std::sort(sandboxes.begin(), sandboxes.end(), by_key);
  std::set<std::pair<std::string, std::string>> seen;
  for (model::Sandbox& s : sandboxes) {
    if (!seen.emplace(s.agent_id, s.session_id).second) {
      s.session_id += "@" + s.container_id.substr(0, 12);
      seen.emplace(s.agent_id, s.session_id);
    }
  }
  std::sort(sandboxes.begin(), sandboxes.end(), by_key);
}

}  // namespace evonic::collectors
