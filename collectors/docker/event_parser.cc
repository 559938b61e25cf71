#include "collectors/docker/event_parser.h"

#include <limits>
#include <nlohmann/json.hpp>
#include <set>

namespace evonic::collectors {

namespace {

// Actor.Attributes keys the engine adds itself; the rest are the container's labels.
const std::set<std::string, std::less<>> kEngineAttributes = {"execID", "exitCode", "image", "name",
                                                              "signal"};

EventKind KindOf(std::string_view action, std::string* command) {
  auto with_command = [&](std::string_view prefix) {
    if (action.compare(0, prefix.size(), prefix) != 0) return false;
    if (action.size() == prefix.size()) return true;
    if (action[prefix.size()] != ':') return false;
    std::string_view rest = action.substr(prefix.size() + 1);
    if (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    *command = std::string(rest);
    return true;
  };
  if (action == "create") return EventKind::kCreate;
  if (action == "start") return EventKind::kStart;
  if (action == "kill") return EventKind::kKill;
  if (action == "die") return EventKind::kDie;
  if (action == "oom") return EventKind::kOom;
  if (action == "destroy") return EventKind::kDestroy;
  if (action == "exec_die") return EventKind::kExecDie;
  if (with_command("exec_create")) return EventKind::kExecCreate;
  if (with_command("exec_start")) return EventKind::kExecStart;
  return EventKind::kUnknown;
}

}  // namespace

Parsed<EngineEvent> ParseEvent(std::string_view line) {
  Parsed<EngineEvent> out;
  nlohmann::json doc = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) {
    out.error = "event is not a JSON object";
    return out;
  }
  EngineEvent e;
  auto type = doc.find("Type");
  if (type == doc.end() || !type->is_string() || type->get<std::string>() != "container") {
    out.error = "not a container event";
    return out;
  }
  auto action = doc.find("Action");
  if (action == doc.end() || !action->is_string()) action = doc.find("status");
  if (action == doc.end() || !action->is_string()) {
    out.error = "event without Action";
    return out;
  }
  e.action = action->get<std::string>();
  e.kind = KindOf(e.action, &e.exec_command);
  auto actor = doc.find("Actor");
  if (actor != doc.end() && actor->is_object()) {
    auto id = actor->find("ID");
    if (id != actor->end() && id->is_string()) e.container_id = id->get<std::string>();
    auto attrs = actor->find("Attributes");
    if (attrs != actor->end() && attrs->is_object()) {
      for (auto it = attrs->begin(); it != attrs->end(); ++it) {
        if (!it.value().is_string()) continue;
        const std::string value = it.value().get<std::string>();
        if (it.key() == "name") {
          e.container_name = value;
        } else if (it.key() == "execID") {
          e.exec_id = value;
        } else if (it.key() == "exitCode") {
          try {
            std::size_t used = 0;
            int code = std::stoi(value, &used);
            if (used == value.size()) e.exit_code = code;
          } catch (const std::exception&) {
          }
        }
        if (!kEngineAttributes.count(it.key())) e.labels[it.key()] = value;
      }
    }
  }
  if (e.container_id.empty()) {
    auto id = doc.find("id");
    if (id != doc.end() && id->is_string()) e.container_id = id->get<std::string>();
  }
  if (e.container_id.empty()) {
    out.error = "event without a container id";
    return out;
  }
  auto nano = doc.find("timeNano");
  if (nano != doc.end() && nano->is_number_integer()) {
    e.time_nano = nano->get<std::int64_t>();
  } else {
    auto secs = doc.find("time");
    // Seconds beyond what nanoseconds in an int64 hold (year 2262) are no usable time.
    constexpr std::int64_t kMaxSeconds = std::numeric_limits<std::int64_t>::max() / 1000000000;
    if (secs != doc.end() && secs->is_number_integer()) {
      const auto seconds = secs->get<std::int64_t>();
      if (seconds > 0 && seconds <= kMaxSeconds) e.time_nano = seconds * 1000000000;
    }
  }
  if (e.time_nano <= 0) {
    out.error = "event without a time";
    return out;
  }
  out.value = std::move(e);
  return out;
}

}  // namespace evonic::collectors
