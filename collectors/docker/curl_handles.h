#pragma once
// RAII owners of libcurl handles. Non-copyable; movable by unique_ptr semantics.

#include <curl/curl.h>

#include <memory>

namespace evonic::collectors::detail {

struct CurlEasyDeleter {
  void operator()(CURL* h) const { curl_easy_cleanup(h); }
};
struct CurlMultiDeleter {
  void operator()(CURLM* h) const { curl_multi_cleanup(h); }
};
struct CurlSlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

using CurlEasy = std::unique_ptr<CURL, CurlEasyDeleter>;
using CurlMulti = std::unique_ptr<CURLM, CurlMultiDeleter>;
using CurlSlist = std::unique_ptr<curl_slist, CurlSlistDeleter>;

}  // namespace evonic::collectors::detail

namespace evonic::collectors {

/// \brief Process-wide libcurl initialisation, owned by main() for the life of the program.
/// Create exactly one before any other thread starts; not thread-safe by libcurl's own rules.
class CurlGlobal {
 public:
  CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
  ~CurlGlobal() { curl_global_cleanup(); }
  CurlGlobal(const CurlGlobal&) = delete;
  CurlGlobal& operator=(const CurlGlobal&) = delete;
};

}  // namespace evonic::collectors
