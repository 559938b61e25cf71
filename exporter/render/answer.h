#pragma once
// A rendered answer as plain data (status, type, headers, body): what rendering hands to the
// application, which puts it on the web server. Header-only, so that the web toolkit may use the
// one JSON error body without linking the renderer.

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace evonic::exporter {

/// One rendered answer.
struct Answer {
  int status = 200;
  std::string content_type;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

/// The body of every JSON error answer: {"error":message,"status":status} and a newline. Bytes
/// of `message` that are not valid UTF-8 become U+FFFD.
inline std::string JsonErrorBody(int status, const std::string& message) {
  return nlohmann::ordered_json{{"error", message}, {"status", status}}.dump(
             -1, ' ', false, nlohmann::json::error_handler_t::replace) +
         "\n";
}

}  // namespace evonic::exporter
