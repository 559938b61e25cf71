#pragma once
// A web config's tls_server_config as an OpenSSL server context.

#include <memory>
#include <string>

#include "exporter/web/web_config.h"

struct ssl_ctx_st;

namespace evonic::exporter {

/// A server context for the connection gate's TlsStreams: the certificate chain and private key
/// (encrypted keys are refused rather than prompting on the terminal; the key must match the
/// certificate), the minimum TLS version, no compression or renegotiation; plus non-blocking
/// use (partial writes, a write buffer that may move between retries, buffers released while a
/// connection is idle), a bare TCP end read as the end of the stream, and a bounded session
/// cache. nullptr and `error` (naming the file and OpenSSL's reason) on failure: run at startup
/// and on reload, so that a broken TLS config fails there, never at the first request. The
/// context is immutable once made: share it. Thread-safe.
std::shared_ptr<ssl_ctx_st> MakeTlsServerContext(const TlsServerConfig& tls, std::string* error);

}  // namespace evonic::exporter
