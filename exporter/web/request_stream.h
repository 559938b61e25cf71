#pragma once
// The requests a client sends on a kept-alive connection (TLS: decrypted), followed by the
// connection gate as they pass to CivetWeb. CivetWeb closes a connection without any answer when a
// request target is `*` or in absolute-form (first_request_line.h); the gate looks at the first
// request before it admits a connection, and at every later one here, so that each gets an answer.

#include <cstddef>
#include <string>
#include <string_view>

namespace evonic::exporter {

/// \brief Passes a client's bytes on, request line by request line: an absolute-form target is
/// passed on in origin-form, a `*` target as kAsteriskTargetPath (which the server answers 405
/// for OPTIONS, 400 otherwise, and closes). A line is held back until its end has arrived.
///
/// Only heads are followed: after a request with a body (which the server refuses and then
/// closes), a line longer than kMaxLine or a `*` request, the rest passes as it is. One per
/// connection, on the gate's thread: not thread-safe.
class RequestStream {
 public:
  /// The longest line held back while its end is awaited.
  static constexpr std::size_t kMaxLine = 4096;
  /// How many more bytes Feed or Finish can append than they were given.
  static constexpr std::size_t kMaxGrowth = kMaxLine + 64;

  /// `in_head`: the stream starts after a request line the gate already passed on.
  explicit RequestStream(bool in_head) : state_(in_head ? State::kHeaders : State::kRequestLine) {}

  /// Appends to `out` what of `data` can go on now.
  void Feed(std::string_view data, std::string& out);
  /// The client ended its side: what is held goes on as it is.
  void Finish(std::string& out);

 private:
  enum class State { kRequestLine, kHeaders, kOpaque };
  /// One whole line, its end included.
  void OnLine(std::string_view line, std::string& out);

  State state_;
  bool body_ = false;  // the current head announces a body
  std::string held_;   // the start of a line whose end has not arrived
};

}  // namespace evonic::exporter
