#pragma once
// A GET-only HTTP client for the Docker Engine API, over a unix socket or TCP.

#include <curl/curl.h>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace evonic::collectors {

/// Where the engine listens: `unix:///var/run/docker.sock` or `tcp://host:port`.
struct DockerEndpoint {
  std::string unix_socket;  // empty for TCP
  std::string base_url;     // "http://localhost" for a unix socket
  std::string text;         // as given, for logs

  static std::optional<DockerEndpoint> Parse(const std::string& text, std::string* error);
};

/// One HTTP answer, or why there was none.
struct HttpAnswer {
  long status = 0;  // 0 when the transport failed
  std::string body;
  std::string transport_error;  // set when no complete answer arrived (refused, timeout, ...)
  bool Ok() const { return transport_error.empty() && status == 200; }
  /// The engine knows no such object (a container removed since it was listed).
  bool NotFound() const { return transport_error.empty() && status == 404; }
};

/// \brief Sends GET requests to the engine. It never sends any other method.
///
/// Each call uses its own libcurl handles (RAII), so the class is thread-safe. Requires a live
/// CurlGlobal.
class DockerClient {
 public:
  struct Options {
    DockerEndpoint endpoint;
    std::chrono::milliseconds connect_timeout{2000};
    std::chrono::milliseconds request_timeout{10000};
    std::size_t max_body_bytes = 32u << 20;  // a larger answer is an error, not a memory spike
    std::size_t max_in_flight = 256;         // at least Evonic's largest pool (100)
  };

  explicit DockerClient(Options options);

  /// GET `path` (e.g. "/version", "/v1.41/containers/json").
  HttpAnswer Get(const std::string& path) const;

  /// GETs every path concurrently (up to max_in_flight at a time); answers in the same order.
  std::vector<HttpAnswer> GetAll(const std::vector<std::string>& paths) const;

  const Options& options() const { return options_; }

 private:
  Options options_;
};

/// Points a libcurl handle at `path` on the engine as a GET request, the only method the exporter
/// ever sends: URL (libcurl copies it), unix socket, http only, no redirects, no signals, the
/// connect timeout and user agent. Callers add what differs (total timeout, callbacks).
void ConfigureEngineGet(CURL* handle, const DockerClient::Options& options,
                        const std::string& path);

/// Percent-encodes a query parameter value.
std::string UrlEncode(const std::string& text);

}  // namespace evonic::collectors
