#include "exporter/web/tls_stream.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cerrno>
#include <climits>

namespace evonic::exporter {

TlsStream::TlsStream(ssl_ctx_st* ctx, int fd) {
  ssl_ = SSL_new(ctx);
  if (ssl_ == nullptr) return;
  if (SSL_set_fd(ssl_, fd) != 1) {
    SSL_free(ssl_);
    ssl_ = nullptr;
    return;
  }
  SSL_set_accept_state(ssl_);
}

TlsStream::~TlsStream() {
  if (ssl_ != nullptr) SSL_free(ssl_);
}

ssize_t TlsStream::Result(int ret, bool reading) {
  if (ret > 0) return ret;
  switch (SSL_get_error(ssl_, ret)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
      errno = EAGAIN;
      return -1;
    case SSL_ERROR_ZERO_RETURN:  // close_notify; a bare TCP end too (SSL_OP_IGNORE_UNEXPECTED_EOF)
      if (reading) {
        ended_ = true;
        return 0;
      }
      errno = EPIPE;  // as send() after the peer's end: never 0, which would mean "try again"
      return -1;
    case SSL_ERROR_SYSCALL:  // fatal, whatever errno says: it must never read as "try again"
      if (errno == 0 || errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
        errno = ECONNRESET;
      }
      return -1;
    default:  // a handshake that failed, a record that does not decrypt: nothing more can pass
      ERR_clear_error();
      errno = EPROTO;
      return -1;
  }
}

ssize_t TlsStream::Recv(char* data, std::size_t size) {
  if (ended_) return 0;
  ERR_clear_error();
  errno = 0;
  return Result(SSL_read(ssl_, data, static_cast<int>(size > INT_MAX ? INT_MAX : size)), true);
}

ssize_t TlsStream::Send(const char* data, std::size_t size) {
  if (size == 0) return 0;
  ERR_clear_error();
  errno = 0;
  return Result(SSL_write(ssl_, data, static_cast<int>(size > INT_MAX ? INT_MAX : size)), false);
}

void TlsStream::Close() {
  if (closed_ || !SSL_is_init_finished(ssl_)) return;
  closed_ = true;
  ERR_clear_error();
  SSL_shutdown(ssl_);  // sends close_notify; the peer's is not awaited
  ERR_clear_error();
}

}  // namespace evonic::exporter
