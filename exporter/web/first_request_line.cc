#include "exporter/web/first_request_line.h"

#include <algorithm>
#include <cctype>

namespace evonic::exporter {

namespace {

std::string Answer(const char* status, const char* extra_header, const std::string& text) {
  return std::string("HTTP/1.1 ") + status + "\r\n" + extra_header +
         "Content-Type: text/plain; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\n"
         "Content-Length: " +
         std::to_string(text.size()) + "\r\nConnection: close\r\n\r\n" + text;
}

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), s.begin(), [](char lower, char c) {
           return std::tolower(static_cast<unsigned char>(c)) == lower;
         });
}

}  // namespace

FirstRequestLine ExamineFirstRequestLine(std::string_view head) {
  FirstRequestLine out;
  const std::size_t end = head.find('\n');
  if (end == std::string_view::npos) return out;
  std::string_view line = head.substr(0, end);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  // METHOD SP target SP version, single spaces (anything else is CivetWeb's to refuse).
  const std::size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos || sp1 == 0) return out;
  const std::size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    return out;
  }
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  out.length = end + 1;
  if (target == "*") {
    out.action = FirstRequestLine::Action::kAnswer;
    out.replacement =
        std::string(method) + " " + kAsteriskTargetPath + " " + std::string(version) + "\r\n";
    out.answer =
        method == "OPTIONS"
            ? Answer("405 Method Not Allowed", "Allow: GET, HEAD\r\n", "method not allowed\n")
            : Answer("400 Bad Request", "", "the request target * is only for OPTIONS\n");
    return out;
  }
  std::size_t scheme = 0;
  if (StartsWithNoCase(target, "http://")) scheme = 7;
  if (StartsWithNoCase(target, "https://")) scheme = 8;
  if (scheme == 0) return out;
  // The authority ends at the first '/' or '?'; what follows is the origin-form target.
  std::string_view rest = target.substr(scheme);
  const std::size_t path = rest.find_first_of("/?");
  std::string origin_form = path == std::string_view::npos ? "/" : std::string(rest.substr(path));
  if (origin_form.front() == '?') origin_form.insert(0, "/");
  out.action = FirstRequestLine::Action::kRewrite;
  out.replacement = std::string(method) + " " + origin_form + " " + std::string(version) + "\r\n";
  return out;
}

}  // namespace evonic::exporter
