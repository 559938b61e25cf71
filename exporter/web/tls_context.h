#pragma once
// Applies a web config's tls_server_config to OpenSSL server contexts.

#include <string>

#include "exporter/web/web_config.h"

struct ssl_ctx_st;

namespace evonic::exporter {

/// Loads the certificate chain and private key into `ctx` and sets the minimum TLS version.
/// False and `error` (naming the file and OpenSSL's reason) on failure. Encrypted keys are
/// refused rather than prompting on the terminal. Thread-safe for distinct contexts.
bool ConfigureTlsContext(ssl_ctx_st* ctx, const TlsServerConfig& tls, std::string* error);

/// Whether `tls` can work, tried on a scratch context: files readable, certificate and key
/// parse, the key matches the certificate. Run at startup and on reload so that a broken TLS
/// config fails there and not at the first request.
bool CheckTlsConfig(const TlsServerConfig& tls, std::string* error);

}  // namespace evonic::exporter
