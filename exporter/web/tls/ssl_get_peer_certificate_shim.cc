// A stand-in for "libssl.so" that gives Debian's CivetWeb 1.15 the one function OpenSSL 3 no
// longer exports. CivetWeb dlopen()s "libssl.so" and looks its functions up by name; in OpenSSL 3
// SSL_get_peer_certificate was renamed SSL_get1_peer_certificate (same reference counting), so
// CivetWeb would call a null pointer on the first TLS connection. This library has the soname
// libssl.so and depends on the real libssl.so.3: once loaded RTLD_GLOBAL (tls_shim.h), CivetWeb's
// dlopen("libssl.so") returns it, finds this function here and every other through libssl.so.3.
//
// <openssl/ssl.h> is deliberately not included: there the old name is a macro for the new one.

struct ssl_st;
struct x509_st;

extern "C" {

x509_st* SSL_get1_peer_certificate(const ssl_st* ssl);

__attribute__((visibility("default"))) x509_st* SSL_get_peer_certificate(const ssl_st* ssl) {
  return SSL_get1_peer_certificate(ssl);
}

// Lets the loader check that what it opened is this shim, not some other libssl.so.
__attribute__((visibility("default"))) int evonic_tls_shim_version() { return 1; }

}  // extern "C"
