#include "collectors/identity/identity.h"

namespace evonic::collectors {

std::optional<IdentityResolver> IdentityResolver::Create(const Options& options,
                                                         std::string* error) {
  IdentityResolver r;
  r.agent_label_ = options.agent_label;
  r.session_label_ = options.session_label;
  for (const std::string& source : options.name_rules) {
    std::string why;
    auto pattern = NamePattern::Compile(source, &why);
    if (!pattern) {
      *error = "name rule '" + source + "': " + why;
      return std::nullopt;
    }
    const std::map<std::string, int> groups = pattern->groups();
    NameRule rule{source, std::move(*pattern)};
    auto session = groups.find("session");
    if (session == groups.end()) {
      *error = "name rule '" + source + "' has no (?<session>...) group";
      return std::nullopt;
    }
    rule.session_group = session->second;
    if (auto agent = groups.find("agent"); agent != groups.end()) {
      rule.agent_group = agent->second;
    }
    r.rules_.push_back(std::move(rule));
  }
  return r;
}

Identity IdentityResolver::Resolve(const std::string& container_name,
                                   const std::map<std::string, std::string>& labels) const {
  std::optional<std::string> agent, session;
  auto label = [&labels](const std::string& key) -> std::optional<std::string> {
    if (key.empty()) return std::nullopt;
    auto it = labels.find(key);
    if (it == labels.end() || it->second.empty() || it->second.size() > kMaxIdentityInputBytes) {
      return std::nullopt;
    }
    return it->second;
  };
  agent = label(agent_label_);
  session = label(session_label_);
  const bool name_usable = container_name.size() <= kMaxIdentityInputBytes;
  if ((!agent || !session) && name_usable) {
    for (const NameRule& rule : rules_) {
      std::optional<NamePattern::Captures> m = rule.pattern.Match(container_name);
      if (!m) continue;
      const auto& s = (*m)[static_cast<std::size_t>(rule.session_group)];
      if (!session && s && !s->empty()) session = std::string(*s);
      if (!agent && rule.agent_group > 0) {
        const auto& a = (*m)[static_cast<std::size_t>(rule.agent_group)];
        if (a && !a->empty()) agent = std::string(*a);
      }
      break;
    }
  }
  Identity id;
  id.matched = agent.has_value() && session.has_value();
  // Without an agent the sandbox is unmatched: agent "unknown", and the session a rule or label
  // gave (e.g. a truncated id), else the container name. Names are unique per engine, so two
  // sandboxes without any session never share a label set.
  id.agent_id = id.matched ? *agent : kUnknownAgent;
  id.session_id = session.value_or(
      name_usable ? container_name : container_name.substr(0, kMaxUnmatchedSessionBytes));
  return id;
}

}  // namespace evonic::collectors
