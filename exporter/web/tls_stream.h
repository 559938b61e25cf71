#pragma once
// The server side of one TLS connection, terminated by the connection gate (connection_gate.h)
// so that it sees the requests inside it as it sees plain HTTP ones.

#include <sys/types.h>

#include <cstddef>

struct ssl_st;
struct ssl_ctx_st;

namespace evonic::exporter {

/// \brief One TLS connection (OpenSSL) over a non-blocking socket it does not own, read and
/// written as the socket itself would be: Recv and Send return what recv and send return (bytes;
/// 0 at the end, the peer's close_notify or its TCP end; -1 with errno EAGAIN while the socket
/// would block either way, another errno when the connection failed). The handshake happens
/// within the first Recv calls.
///
/// Owns its SSL object (freed by the destructor, which sends nothing); the socket must outlive
/// it. Not thread-safe: one connection belongs to one thread (the gate's). Each call clears the
/// thread's OpenSSL error queue first, so one connection's failure never shows in another's.
class TlsStream {
 public:
  /// `ctx` from MakeTlsServerContext (tls_context.h); check valid().
  TlsStream(ssl_ctx_st* ctx, int fd);
  ~TlsStream();
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  bool valid() const { return ssl_ != nullptr; }
  ssize_t Recv(char* data, std::size_t size);
  /// Partial writes as send() makes them; after -1/EAGAIN, call again with the same bytes.
  ssize_t Send(const char* data, std::size_t size);
  /// Sends close_notify once, without waiting for the peer's (best effort: the TCP end follows).
  void Close();

 private:
  /// What SSL_read (`reading`) or SSL_write returned, as recv or send would.
  ssize_t Result(int ret, bool reading);

  ssl_st* ssl_ = nullptr;
  bool ended_ = false;  // the peer's end was read: every later Recv returns 0
  bool closed_ = false;
};

}  // namespace evonic::exporter
