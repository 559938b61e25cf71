#include "exporter/web/request_stream.h"

#include <algorithm>
#include <cctype>

#include "exporter/web/first_request_line.h"

namespace evonic::exporter {

namespace {

bool IsEmptyLine(std::string_view line) { return line == "\r\n" || line == "\n"; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool EqualsNoCase(std::string_view a, std::string_view lower) {
  return a.size() == lower.size() &&
         std::equal(a.begin(), a.end(), lower.begin(), [](char c, char l) {
           return std::tolower(static_cast<unsigned char>(c)) == l;
         });
}

// Whether a header line announces a body: Transfer-Encoding, or a Content-Length that is not 0.
bool AnnouncesBody(std::string_view line) {
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) return false;
  const std::string_view name = Trim(line.substr(0, colon));
  if (EqualsNoCase(name, "transfer-encoding")) return true;
  return EqualsNoCase(name, "content-length") && Trim(line.substr(colon + 1)) != "0";
}

}  // namespace

void RequestStream::Feed(std::string_view data, std::string& out) {
  while (!data.empty()) {
    if (state_ == State::kOpaque) {
      out.append(data);
      return;
    }
    const std::size_t end = data.find('\n');
    if (end == std::string_view::npos) {
      held_.append(data);
      if (held_.size() > kMaxLine) {  // too long to be looked at: CivetWeb judges the rest
        out += held_;
        held_.clear();
        state_ = State::kOpaque;
      }
      return;
    }
    const std::string_view piece = data.substr(0, end + 1);
    data.remove_prefix(end + 1);
    if (held_.empty() && piece.size() <= kMaxLine) {
      OnLine(piece, out);
      continue;
    }
    held_.append(piece);
    if (held_.size() > kMaxLine) {
      out += held_;
      state_ = State::kOpaque;
    } else {
      OnLine(held_, out);
    }
    held_.clear();
  }
}

void RequestStream::Finish(std::string& out) {
  out += held_;
  held_.clear();
  state_ = State::kOpaque;
}

void RequestStream::OnLine(std::string_view line, std::string& out) {
  if (state_ == State::kHeaders) {
    out.append(line);
    if (IsEmptyLine(line)) {
      // A body is not followed (the server refuses it and closes after its answer).
      state_ = body_ ? State::kOpaque : State::kRequestLine;
      body_ = false;
    } else if (AnnouncesBody(line)) {
      body_ = true;
    }
    return;
  }
  if (IsEmptyLine(line)) {  // empty lines before a request line are allowed (RFC 9112 2.2)
    out.append(line);
    return;
  }
  const FirstRequestLine examined = ExamineFirstRequestLine(line);
  switch (examined.action) {
    case FirstRequestLine::Action::kPass:
      out.append(line);
      break;
    case FirstRequestLine::Action::kRewrite:
      out += examined.replacement;
      break;
    case FirstRequestLine::Action::kAnswer:
      // The server answers it and closes: nothing after it is a request.
      out += examined.replacement;
      state_ = State::kOpaque;
      return;
  }
  state_ = State::kHeaders;
}

}  // namespace evonic::exporter
