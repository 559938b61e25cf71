#include "exporter/web/tls_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <memory>

namespace evonic::exporter {

namespace {

std::string OpenSslReason() {
  unsigned long code = ERR_get_error();
  unsigned long last = code;
  while (last != 0) {  // keep the first (root) error, drain the rest
    last = ERR_get_error();
  }
  if (code == 0) return "unknown OpenSSL error";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

// No passphrase prompts: an exporter runs unattended.
int NoPassphrase(char*, int, int, void*) { return 0; }

bool ConfigureTlsContext(ssl_ctx_st* ctx, const TlsServerConfig& tls, std::string* error) {
  ERR_clear_error();
  SSL_CTX_set_default_passwd_cb(ctx, &NoPassphrase);
  if (SSL_CTX_use_certificate_chain_file(ctx, tls.cert_file.c_str()) != 1) {
    *error = "tls_server_config.cert_file " + tls.cert_file + ": " + OpenSslReason();
    return false;
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, tls.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    // OpenSSL already compares the key with the certificate here; say so in plain words.
    const bool mismatch = ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH;
    *error = "tls_server_config.key_file " + tls.key_file + ": " +
             (mismatch ? "does not match cert_file " + tls.cert_file : OpenSslReason());
    ERR_clear_error();
    return false;
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    *error = "tls_server_config: key_file " + tls.key_file + " does not match cert_file " +
             tls.cert_file;
    ERR_clear_error();
    return false;
  }
  int min = tls.min_version == TlsVersion::kTls13 ? TLS1_3_VERSION : TLS1_2_VERSION;
  if (SSL_CTX_set_min_proto_version(ctx, min) != 1) {
    *error = "tls_server_config.min_version: " + OpenSslReason();
    return false;
  }
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  return true;
}

}  // namespace

std::shared_ptr<ssl_ctx_st> MakeTlsServerContext(const TlsServerConfig& tls, std::string* error) {
  std::shared_ptr<SSL_CTX> ctx(SSL_CTX_new(TLS_server_method()), &SSL_CTX_free);
  if (!ctx) {
    *error = "cannot create a TLS context: " + OpenSslReason();
    return nullptr;
  }
  if (!ConfigureTlsContext(ctx.get(), tls, error)) return nullptr;
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                                  SSL_MODE_RELEASE_BUFFERS);
  // An HTTP client that ends without close_notify has still sent whole requests; its end is
  // passed on like a plain one instead of failing the connection.
  SSL_CTX_set_options(ctx.get(), SSL_OP_IGNORE_UNEXPECTED_EOF);
  // Sessions are resumed from tickets the client keeps; the server's own cache, which every new
  // client would add to, stays small.
  SSL_CTX_sess_set_cache_size(ctx.get(), 1024);
  return ctx;
}

}  // namespace evonic::exporter
