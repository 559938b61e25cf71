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

struct SslCtxFree {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};

}  // namespace

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

bool CheckTlsConfig(const TlsServerConfig& tls, std::string* error) {
  std::unique_ptr<SSL_CTX, SslCtxFree> ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) {
    *error = "cannot create a TLS context: " + OpenSslReason();
    return false;
  }
  return ConfigureTlsContext(ctx.get(), tls, error);
}

}  // namespace evonic::exporter
