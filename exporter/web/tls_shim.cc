#include "exporter/web/tls_shim.h"

#include <dlfcn.h>
#include <limits.h>
#include <unistd.h>

#ifndef EVONIC_TLS_SHIM_INSTALL_PATH
#define EVONIC_TLS_SHIM_INSTALL_PATH "/usr/local/lib/evonic-sandbox-exporter/libevonic-tls-shim.so"
#endif

namespace evonic::exporter {

namespace {

constexpr const char* kShimFile = "libevonic-tls-shim.so";

std::string DlError() {
  const char* e = dlerror();
  return e != nullptr ? e : "unknown dlopen error";
}

}  // namespace

std::vector<std::string> DefaultTlsShimCandidates() {
  std::vector<std::string> out;
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    std::string dir(exe, static_cast<std::size_t>(n));
    dir.resize(dir.rfind('/'));
    out.push_back(dir + "/" + kShimFile);
    out.push_back(dir + "/../lib/evonic-sandbox-exporter/" + kShimFile);
  }
  out.push_back(EVONIC_TLS_SHIM_INSTALL_PATH);
  return out;
}

std::unique_ptr<TlsShim> TlsShim::Load(const std::vector<std::string>& candidates,
                                       std::string* error) {
  std::string tried;
  for (const std::string& path : candidates) {
    if (access(path.c_str(), R_OK) != 0) {
      tried += (tried.empty() ? "" : "; ") + path + ": not found";
      continue;
    }
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_GLOBAL);
    if (handle == nullptr) {
      tried += (tried.empty() ? "" : "; ") + DlError();
      continue;
    }
    std::unique_ptr<TlsShim> shim(new TlsShim(handle, path));
    // What CivetWeb will get from dlopen("libssl.so") must be this shim; it would not be if a
    // real libssl.so had been loaded under that name before (then TLS would crash later).
    void* as_civetweb_sees_it = dlopen("libssl.so", RTLD_NOW | RTLD_NOLOAD);
    bool ours = as_civetweb_sees_it != nullptr &&
                dlsym(as_civetweb_sees_it, "evonic_tls_shim_version") != nullptr &&
                dlsym(as_civetweb_sees_it, "SSL_get_peer_certificate") != nullptr;
    if (as_civetweb_sees_it != nullptr) dlclose(as_civetweb_sees_it);
    if (!ours) {
      *error = "loaded " + path +
               " but dlopen(\"libssl.so\") does not resolve to it (was libssl.so loaded earlier?)";
      return nullptr;
    }
    return shim;
  }
  *error = "cannot load the TLS compatibility library " + std::string(kShimFile) +
           " (needed by CivetWeb with OpenSSL 3): " + tried;
  return nullptr;
}

TlsShim::~TlsShim() {
  if (handle_ != nullptr) dlclose(handle_);
}

}  // namespace evonic::exporter
