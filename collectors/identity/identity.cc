#include "collectors/identity/identity.h"

namespace evonic::collectors {

std::optional<TranslatedPattern> TranslateNamedGroups(const std::string& pattern,
                                                      std::string* error) {
  TranslatedPattern out;
  int group_count = 0;
  bool in_class = false;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '\\') {
      if (i + 1 < pattern.size() && pattern[i + 1] == 'k' && !in_class) {
        // \k<name> -> \N
        std::size_t close = pattern.find('>', i);
        if (i + 2 >= pattern.size() || pattern[i + 2] != '<' || close == std::string::npos) {
          *error = "malformed \\k<name> reference";
          return std::nullopt;
        }
        std::string name = pattern.substr(i + 3, close - i - 3);
        auto it = out.groups.find(name);
        if (it == out.groups.end()) {
          *error = "\\k<" + name + "> refers to no earlier group";
          return std::nullopt;
        }
        out.ecmascript += "\\" + std::to_string(it->second);
        i = close;
        continue;
      }
      out.ecmascript += c;
      if (i + 1 < pattern.size()) out.ecmascript += pattern[++i];
      continue;
    }
    if (in_class) {
      if (c == ']') in_class = false;
      out.ecmascript += c;
      continue;
    }
    if (c == '[') {
      in_class = true;
      out.ecmascript += c;
      continue;
    }
    if (c == '(') {
      if (i + 1 < pattern.size() && pattern[i + 1] == '?') {
        if (i + 2 < pattern.size() && pattern[i + 2] == '<' && i + 3 < pattern.size() &&
            pattern[i + 3] != '=' && pattern[i + 3] != '!') {
          std::size_t close = pattern.find('>', i);
          if (close == std::string::npos) {
            *error = "unterminated group name";
            return std::nullopt;
          }
          std::string name = pattern.substr(i + 3, close - i - 3);
          if (name.empty() || !out.groups.emplace(name, ++group_count).second) {
            *error = "empty or repeated group name '" + name + "'";
            return std::nullopt;
          }
          out.ecmascript += '(';
          i = close;
          continue;
        }
        out.ecmascript += c;  // (?: (?= (?! : not capturing
        continue;
      }
      ++group_count;
    }
    out.ecmascript += c;
  }
  return out;
}

std::optional<IdentityResolver> IdentityResolver::Create(const Options& options,
                                                         std::string* error) {
  IdentityResolver r;
  r.agent_label_ = options.agent_label;
  r.session_label_ = options.session_label;
  for (const std::string& source : options.name_rules) {
    std::string why;
    auto translated = TranslateNamedGroups(source, &why);
    if (!translated) {
      *error = "name rule '" + source + "': " + why;
      return std::nullopt;
    }
    NameRule rule;
    rule.source = source;
    try {
      rule.re = std::regex(translated->ecmascript, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      *error = "name rule '" + source + "': " + e.what();
      return std::nullopt;
    }
    auto session = translated->groups.find("session");
    if (session == translated->groups.end()) {
      *error = "name rule '" + source + "' has no (?<session>...) group";
      return std::nullopt;
    }
    rule.session_group = session->second;
    if (auto agent = translated->groups.find("agent"); agent != translated->groups.end()) {
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
    if (it == labels.end() || it->second.empty()) return std::nullopt;
    return it->second;
  };
  agent = label(agent_label_);
  session = label(session_label_);
  if (!agent || !session) {
    for (const NameRule& rule : rules_) {
      std::smatch m;
      if (!std::regex_match(container_name, m, rule.re)) continue;
      if (!session && m[rule.session_group].length() > 0) session = m[rule.session_group].str();
      if (!agent && rule.agent_group > 0 && m[rule.agent_group].length() > 0) {
        agent = m[rule.agent_group].str();
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
  id.session_id = session.value_or(container_name);
  return id;
}

}  // namespace evonic::collectors
