#pragma once
// The first request line of a connection (TLS: as the gate decrypted it), looked at by the gate
// before CivetWeb reads it: CivetWeb closes the connection without any answer when the request
// target is `*` (RFC 9112 3.2.4) or in absolute-form (3.2.2, which servers must accept).

#include <cstddef>
#include <string>
#include <string_view>

namespace evonic::exporter {

/// The target a `*` request line is passed on with when the gate cannot answer it itself (a later
/// request on a kept-alive connection): the server answers it as the gate answers a first one.
inline constexpr char kAsteriskTargetPath[] = "/.evonic-gate/asterisk-form";

struct FirstRequestLine {
  enum class Action {
    kPass,     // origin-form, or not a request line at all: CivetWeb judges it
    kRewrite,  // absolute-form: passed on in origin-form (`replacement`)
    kAnswer,   // `*`: answered by the gate (`answer`), then the connection closes
  };
  Action action = Action::kPass;
  std::size_t length = 0;  // bytes of the line as sent, its line end included
  // kRewrite: the same line with the path (and query) alone; kAnswer: with kAsteriskTargetPath
  std::string replacement;
  std::string answer;  // kAnswer: a whole HTTP/1.1 answer with Connection: close
};

/// Examines the start of a request head (at least its first line end must be in `head`). Pure,
/// thread-safe.
FirstRequestLine ExamineFirstRequestLine(std::string_view head);

}  // namespace evonic::exporter
