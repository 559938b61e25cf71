#pragma once
// The one HTTP server of the exporter (CivetWeb): /metrics, the landing page, /healthz, and later
// the REST shim, all routed here.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "logging/logger.h"

struct mg_context;
struct mg_connection;

namespace evonic::exporter {

/// A request as handlers see it: path already URL-decoded by CivetWeb, never decoded again.
struct HttpRequest {
  std::string method;
  std::string path;
  std::string query;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

/// A response. `body` may point into `keep` (e.g. a published exposition) to avoid a copy.
struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::vector<std::pair<std::string, std::string>> headers;
  std::shared_ptr<const void> keep;  // keeps the memory `body` points into alive
  std::string owned;                 // used when body is empty
  std::string_view body;

  static HttpResponse Text(int status, std::string text);
  std::string_view Body() const { return body.empty() ? std::string_view(owned) : body; }
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

/// Who may use a route.
enum class Access {
  kPublic,     // anyone: the landing page, /healthz
  kTelemetry,  // /metrics: credentials required when the web config has users
  kPersonal,   // REST answers (personal data): credentials always required
};

struct Route {
  Access access = Access::kPublic;
  HttpHandler handler;
};

/// Routes by path: an exact path ("/metrics"), or a prefix ending in '*' ("/api/*") that takes
/// every path starting with what precedes the '*'. Exact paths win, then the longest prefix.
using Routes = std::map<std::string, Route>;

/// \brief An HTTP server with routes fixed at start.
///
/// Routes are immutable once started, so handlers run concurrently on CivetWeb's worker threads
/// without locks here; each handler must itself be thread-safe. Only GET and HEAD reach handlers
/// (others get 405). Stopping (destructor) waits for requests in progress.
class HttpServer {
 public:
  struct Options {
    std::string listen_address = ":9717";  // [host]:port; port 0 picks a free one
    int num_threads = 16;
    int request_timeout_ms = 10000;
  };

  /// Binds and starts serving. On failure returns nullptr and says why in `error`.
  static std::unique_ptr<HttpServer> Start(const Options& options, Routes routes,
                                           logging::Logger& log, std::string* error);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// The port actually bound (useful with port 0).
  int port() const { return port_; }

 private:
  HttpServer(Routes routes, logging::Logger& log);
  const Route* Find(const std::string& path) const;
  static int OnRequest(mg_connection* conn, void* self);
  static int OnLog(const mg_connection* conn, const char* message);
  void Serve(mg_connection* conn);

  Routes routes_;
  logging::Logger& log_;
  mg_context* ctx_ = nullptr;
  int port_ = 0;
};

/// Translates a Prometheus-style listen address (":9717", "127.0.0.1:9717", "[::1]:9717") into
/// CivetWeb's listening_ports syntax; empty on a malformed address.
std::string ToCivetPorts(const std::string& listen_address);

/// True when an Accept-Encoding header value admits gzip (q > 0).
bool AcceptsGzip(const std::string& accept_encoding);

}  // namespace evonic::exporter
