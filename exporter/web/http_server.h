#pragma once
// The one HTTP server of the exporter (CivetWeb): /metrics, the landing page, /healthz, and later
// the REST shim, all routed here; with the web config's Basic auth, TLS and headers.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "exporter/web/basic_auth.h"
#include "exporter/web/connection_gate.h"
#include "exporter/web/web_config.h"
#include "logging/logger.h"
#include "model/latest.h"

struct mg_context;
struct mg_connection;

namespace evonic::exporter {

/// A request as handlers see it: path already URL-decoded by CivetWeb, never decoded again.
struct HttpRequest {
  std::string method;
  std::string path;
  std::string query;
  std::string client_address;                  // the peer's IP address, as text
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
/// without locks here; each handler must itself be thread-safe. Only GET and HEAD without a body
/// reach handlers (405 with Allow for other methods, 400/413 for bodies). Each route's Access is
/// enforced before its handler runs (see basic_auth.h). ApplyWebConfig() may run at any time,
/// concurrently with requests: each request uses the users and headers current when it began.
/// Stopping (destructor) waits for requests in progress.
///
/// Under load: a CivetWeb worker holds one connection from accept until it closes (no
/// per-connection event loop), and each costs about 20 KiB of touched stack, so there are few of
/// them (num_threads, --web.max-connections). The ConnectionGate owns the public address: it
/// accepts everything, forwards at most num_threads connections, at most
/// max_connections_per_client of them from one client, and keeps the rest waiting (unread, up to
/// request_timeout_ms). Idle or trickling clients from one address therefore hold only their
/// share of the workers; the workers still bound them by time (request_timeout_ms for the whole
/// request head, keep_alive_timeout_ms between requests).
class HttpServer {
 public:
  struct Options {
    std::string listen_address = ":9717";  // [host]:port; port 0 picks a free one
    int num_threads = 32;
    int max_connections_per_client = 8;  // of num_threads, for one ClientKey
    int request_timeout_ms = 5000;       // the whole request head must arrive within this
    int keep_alive_timeout_ms = 2000;    // an idle keep-alive connection is closed after this
    int max_request_head_bytes = 8192;   // request line and headers (bodies are refused)
    /// Users, headers and TLS; null means none of them (plain HTTP, no users).
    std::shared_ptr<const WebConfig> web_config;
    BasicAuthenticator::Options auth;
  };

  /// Binds and starts serving. On failure (address, TLS files) returns nullptr and says why
  /// in `error`: a TLS config that cannot work fails here, never at the first request.
  static std::unique_ptr<HttpServer> Start(const Options& options, Routes routes,
                                           logging::Logger& log, std::string* error);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// The port actually bound (useful with port 0).
  int port() const { return port_; }
  bool tls() const { return tls_enabled_; }

  /// Applies a re-read web config (SIGHUP): users and headers apply to the next request; with TLS
  /// on, the certificate, key and minimum version are read again (even at the same paths) and
  /// apply to the next connection. TLS cannot be switched on or off while running: that is
  /// logged and waits for a restart. False and `error` if it cannot be applied (a certificate
  /// that does not load included); the old config stays.
  /// Not thread-safe against itself (one reloading thread), safe against requests.
  bool ApplyWebConfig(std::shared_ptr<const WebConfig> next, std::string* error);

  /// Authentication counters since start (failures by reason, dummy-hash checks, cache hits).
  AuthStats auth_stats() const { return auth_.Stats(); }
  /// Connections accepted, waiting, forwarded and refused since start.
  GateStats gate_stats() const { return gate_->Stats(); }

 private:
  HttpServer(Routes routes, const Options& options, logging::Logger& log);
  const Route* Find(const std::string& path) const;
  static int OnRequest(mg_connection* conn, void* self);
  static int OnLog(const mg_connection* conn, const char* message);
  void Serve(mg_connection* conn);
  /// nullopt when the request may reach the route's handler, else the refusal to send.
  std::optional<HttpResponse> Authorize(Access access, const HttpRequest& req);
  void LogAccessSummary(const WebConfig& config);

  Routes routes_;
  logging::Logger& log_;
  BasicAuthenticator auth_;
  model::Latest<WebConfig> web_config_;   // the headers of the current config are sent
  bool tls_enabled_ = false;              // fixed at start
  std::unique_ptr<ConnectionGate> gate_;  // outlives ctx_: workers call ClientOf
  mg_context* ctx_ = nullptr;
  int port_ = 0;
  int backend_port_ = 0;  // CivetWeb's own listening port on 127.0.0.1
};

/// Re-reads the web config at `path` and applies it to `server` (on SIGHUP), logging the outcome:
/// a file that cannot be read or is invalid keeps the old config and says so.
void ReloadWebConfigFile(const std::string& path, HttpServer& server, logging::Logger& log);

/// True when an Accept-Encoding header value admits gzip (q > 0).
bool AcceptsGzip(const std::string& accept_encoding);

/// Points `r`'s body at a stored answer: `gzip` with Content-Encoding when the request accepts
/// gzip and `gzip` is not empty, else `plain`; adds Vary: Accept-Encoding. `keep` owns both
/// texts and stays with the response while it is written.
void SetStoredBody(HttpResponse& r, const HttpRequest& req, std::string_view plain,
                   std::string_view gzip, std::shared_ptr<const void> keep);

}  // namespace evonic::exporter
