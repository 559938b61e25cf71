#pragma once
// Loads the project's OpenSSL 3 compatibility shim for CivetWeb (exporter/tls/).

#include <memory>
#include <string>
#include <vector>

namespace evonic::exporter {

/// \brief Keeps the shim library loaded (RAII around the dlopen handle).
///
/// Load() must run before CivetWeb initialises TLS (before HttpServer starts a TLS listener):
/// CivetWeb's own dlopen("libssl.so") then returns the shim, which supplies the function OpenSSL
/// 3 lacks. Load() also checks that this really happened, so a TLS server either works or does
/// not start. Destroy it only after the server has stopped. Not copyable; const use is
/// thread-safe.
class TlsShim {
 public:
  /// Tries each path in order; nullptr and `error` (naming every path tried) if none works.
  static std::unique_ptr<TlsShim> Load(const std::vector<std::string>& candidates,
                                       std::string* error);
  ~TlsShim();
  TlsShim(const TlsShim&) = delete;
  TlsShim& operator=(const TlsShim&) = delete;

  const std::string& path() const { return path_; }

 private:
  TlsShim(void* handle, std::string path) : handle_(handle), path_(std::move(path)) {}
  void* handle_;
  std::string path_;
};

/// Where the shim is looked for: next to the running binary (/proc/self/exe: the build tree),
/// in ../lib/evonic-sandbox-exporter/ beside it, then at the install location.
std::vector<std::string> DefaultTlsShimCandidates();

}  // namespace evonic::exporter
