#include "exporter/web/http_server.h"

#include <arpa/inet.h>
#include <civetweb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <thread>

#include "exporter/render/answer.h"
#include "exporter/web/first_request_line.h"
#include "exporter/web/tls_context.h"

namespace evonic::exporter {

namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string Trim(const std::string& s) {
  std::size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

bool IsDigits(const std::string& s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

HttpResponse JsonError(int status, const std::string& message) {
  HttpResponse r;
  r.status = status;
  r.content_type = "application/json";
  r.owned = JsonErrorBody(status, message);
  return r;
}

constexpr const char* kNoUsersMessage =
    "authentication required, but no users are configured: add basic_auth_users (user: bcrypt "
    "hash, e.g. from evonic-sandbox-exporter hash-password) to the file given with "
    "--web.config.file, then "
    "restart or send SIGHUP";

// The request must not carry a body: nothing here reads one, and an unread body would be parsed
// as the next request on a kept-alive connection. 0 when there is none, else the status. Framing
// is judged on every header line as sent: a second Content-Length (CivetWeb frames on the first,
// the header map keeps the last) or any Transfer-Encoding is a 400, the setup of request
// smuggling behind a proxy.
int BodyRefusal(const mg_request_info& ri) {
  int lengths = 0;
  std::string length;
  for (int i = 0; i < ri.num_headers; ++i) {
    const std::string name = Lower(ri.http_headers[i].name);
    if (name == "transfer-encoding") return 400;
    if (name != "content-length") continue;
    if (++lengths > 1) return 400;
    length = Trim(ri.http_headers[i].value != nullptr ? ri.http_headers[i].value : "");
  }
  if (lengths == 0 || length == "0") return 0;
  return IsDigits(length) ? 413 : 400;
}

// RFC 7231 date of now, made with the reentrant gmtime_r. Supplying it ourselves keeps CivetWeb
// (built without REENTRANT_TIME) from formatting one with gmtime()'s shared buffer on every worker.
std::string HttpDate() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

}  // namespace

HttpResponse HttpResponse::Text(int status, std::string text) {
  HttpResponse r;
  r.status = status;
  r.owned = std::move(text);
  return r;
}

void SetStoredBody(HttpResponse& r, const HttpRequest& req, std::string_view plain,
                   std::string_view gzip, std::shared_ptr<const void> keep) {
  r.headers.emplace_back("Vary", "Accept-Encoding");
  if (!gzip.empty() && AcceptsGzip(req.Header("accept-encoding"))) {
    r.headers.emplace_back("Content-Encoding", "gzip");
    r.body = gzip;
  } else {
    r.body = plain;
  }
  r.keep = std::move(keep);
}

bool AcceptsGzip(const std::string& accept_encoding) {
  std::size_t start = 0;
  while (start <= accept_encoding.size()) {
    std::size_t end = accept_encoding.find(',', start);
    if (end == std::string::npos) end = accept_encoding.size();
    std::string item = accept_encoding.substr(start, end - start);
    std::string coding = Lower(Trim(item.substr(0, item.find(';'))));
    if (coding == "gzip") {
      std::size_t q = item.find("q=");
      return q == std::string::npos || std::strtod(item.c_str() + q + 2, nullptr) > 0;
    }
    start = end + 1;
  }
  return false;
}

HttpServer::HttpServer(Routes routes, const Options& options, logging::Logger& log)
    : routes_(std::move(routes)),
      log_(log),
      auth_(options.auth, log),
      web_config_(options.web_config != nullptr ? options.web_config
                                                : std::make_shared<const WebConfig>()) {}

const Route* HttpServer::Find(const std::string& path) const {
  if (auto it = routes_.find(path); it != routes_.end()) return &it->second;
  const Route* best = nullptr;
  std::size_t best_length = 0;
  for (const auto& [key, route] : routes_) {
    if (key.empty() || key.back() != '*') continue;
    std::size_t n = key.size() - 1;
    if (n >= best_length && path.compare(0, n, key, 0, n) == 0) {
      best = &route;
      best_length = n;
    }
  }
  return best;
}

HttpServer::~HttpServer() {
  // Clients first: their connections close, so the workers finish at once; the gate object
  // stays until CivetWeb has stopped, as workers still ask it who their client is.
  if (gate_) gate_->Stop();
  if (ctx_ == nullptr) return;
  // CivetWeb's master thread sees the stop only when its poll of the listening socket ends, up
  // to a second later (SIGTERM took 1-2 s); a connection to that socket ends the poll at once.
  std::atomic<bool> stopped{false};
  std::thread waker([this, &stopped] {
    for (int i = 0; i < 100 && !stopped.load(); ++i) {
      UniqueFd s(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
      sockaddr_in to{};
      to.sin_family = AF_INET;
      to.sin_port = htons(static_cast<std::uint16_t>(backend_port_));
      to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (s.valid()) connect(s.get(), reinterpret_cast<sockaddr*>(&to), sizeof to);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  mg_stop(ctx_);
  stopped = true;
  waker.join();
}

std::unique_ptr<HttpServer> HttpServer::Start(const Options& options, Routes routes,
                                              logging::Logger& log, std::string* error) {
  {
    sockaddr_storage address{};
    socklen_t length = 0;
    if (!ParseListenAddress(options.listen_address, &address, &length, error)) {
      *error = "web.listen-address '" + options.listen_address + "': " + *error;
      return nullptr;
    }
  }
  // CivetWeb serves on loopback behind the gate, which owns the public address.
  const std::string ports = "127.0.0.1:0";
  std::unique_ptr<HttpServer> server(new HttpServer(std::move(routes), options, log));
  std::shared_ptr<const WebConfig> web = server->web_config_.Get();
  if (!server->auth_.SetUsers(web->basic_auth_users, error)) return nullptr;
  std::shared_ptr<ssl_ctx_st> tls_context;
  if (web->tls_enabled) {
    // The gate terminates TLS (CivetWeb, plain on loopback, never loads OpenSSL); the context is
    // made here so that a broken setup stops startup, never fails at the first request.
    tls_context = MakeTlsServerContext(web->tls, error);
    if (!tls_context) {
      *error = web->file + ": " + *error;
      return nullptr;
    }
    server->tls_enabled_ = true;
  }
  const std::string threads = std::to_string(options.num_threads);
  const std::string timeout = std::to_string(options.request_timeout_ms);
  const std::string keep_alive = std::to_string(options.keep_alive_timeout_ms);
  const std::string head_bytes = std::to_string(options.max_request_head_bytes);
  // The accept queue and backlog take bursts beyond the workers instead of refusing them.
  // The gate forwards no more than num_threads at once; the queue only takes a worker's handover.
  const std::string queue = std::to_string(std::max(20, options.num_threads));
  // Keep-alive lets Prometheus and benchmarks reuse connections; the short keep-alive timeout
  // stops idle connections from holding worker threads for long.
  // Headers and body go out in two writes: without TCP_NODELAY, Nagle's algorithm and the
  // client's delayed ACK add ~40 ms to every answer.
  // clang-format off
  const char* config[] = {
      "listening_ports", ports.c_str(),
      "num_threads", threads.c_str(),
      "request_timeout_ms", timeout.c_str(),
      "enable_keep_alive", "yes",
      "keep_alive_timeout_ms", keep_alive.c_str(),
      "max_request_size", head_bytes.c_str(),
      "connection_queue", queue.c_str(),
      "listen_backlog", queue.c_str(),
      "tcp_nodelay", "1",
      // CivetWeb answers CORS preflights itself (200, any origin) unless these are empty; an
      // OPTIONS request must reach the handler and get its 405 like every other method.
      "access_control_allow_origin", "",
      "access_control_allow_methods", "",
      "access_control_allow_headers", "",
      nullptr};
  // clang-format on
  mg_callbacks callbacks{};
  callbacks.log_message = &HttpServer::OnLog;
  mg_init_data init{};
  init.callbacks = &callbacks;
  init.user_data = server.get();
  init.configuration_options = config;
  char error_text[256] = {};
  unsigned error_code = 0;
  mg_error_data error_data{&error_code, error_text, sizeof error_text};
  server->ctx_ = mg_start2(&init, &error_data);
  if (server->ctx_ == nullptr) {
    *error = std::string("cannot start the HTTP workers: ") +
             (error_text[0] != '\0' ? error_text : "unknown CivetWeb error");
    return nullptr;
  }
  mg_server_port bound[4] = {};
  if (mg_get_server_ports(server->ctx_, 4, bound) < 1) {
    *error = "cannot start the HTTP workers: no port bound";
    return nullptr;
  }
  server->backend_port_ = bound[0].port;
  ConnectionGate::Options gate;
  gate.listen_address = options.listen_address;
  gate.backend_port = bound[0].port;
  gate.max_active = options.num_threads;
  gate.max_active_per_client = options.max_connections_per_client;
  gate.max_wait = std::chrono::milliseconds(options.request_timeout_ms);
  gate.tls = std::move(tls_context);
  gate.max_head_bytes = static_cast<std::size_t>(options.max_request_head_bytes);
  server->gate_ = ConnectionGate::Start(gate, log, error);
  if (!server->gate_) {
    *error = "cannot listen on '" + options.listen_address + "': " + *error;
    return nullptr;
  }
  server->port_ = server->gate_->port();
  mg_set_request_handler(server->ctx_, "/", &HttpServer::OnRequest, server.get());
  server->LogAccessSummary(*web);
  return server;
}

void HttpServer::LogAccessSummary(const WebConfig& config) {
  bool personal = false;
  for (const auto& [path, route] : routes_)
    personal = personal || route.access == Access::kPersonal;
  log_.Info("web config in effect",
            {{"file", config.file.empty() ? "none" : config.file},
             {"tls", tls_enabled_ ? "on" : "off"},
             {"basic_auth_users", std::to_string(config.basic_auth_users.size())},
             {"headers", std::to_string(config.headers.size())}});
  if (config.basic_auth_users.empty() && personal) {
    log_.Warn("no basic_auth_users configured: the REST API answers 401 to every request",
              {{"hint",
                "add basic_auth_users (bcrypt hashes) to the file given with --web.config.file"}});
  }
}

bool HttpServer::ApplyWebConfig(std::shared_ptr<const WebConfig> next, std::string* error) {
  std::shared_ptr<ssl_ctx_st> tls_context;
  if (tls_enabled_ && next->tls_enabled) {
    // Read again even at the same paths: a renewed certificate is the usual reason for a reload.
    tls_context = MakeTlsServerContext(next->tls, error);
    if (!tls_context) {
      *error = next->file + ": " + *error;  // the connections keep the certificate they had
      return false;
    }
  }
  if (!auth_.SetUsers(next->basic_auth_users, error)) return false;
  web_config_.Publish(next);
  if (tls_context) {
    gate_->SetTlsContext(std::move(tls_context));
    log_.Info("TLS certificate and key read again: new connections use them",
              {{"cert_file", next->tls.cert_file}});
  }
  if (next->tls_enabled != tls_enabled_) {
    log_.Warn("tls_server_config: TLS cannot be switched on or off while running; restart for that",
              {{"file", next->file}, {"tls", tls_enabled_ ? "on" : "off"}});
  }
  LogAccessSummary(*next);
  return true;
}

int HttpServer::OnLog(const mg_connection* conn, const char* message) {
  const mg_context* ctx = mg_get_context(conn);
  auto* self = ctx != nullptr ? static_cast<HttpServer*>(mg_get_user_data(ctx)) : nullptr;
  if (self != nullptr) {
    std::string detail = message != nullptr ? message : "";
    while (!detail.empty() && (detail.back() == '\n' || detail.back() == '\r')) detail.pop_back();
    self->log_.Debug("http server", {{"detail", detail}});
  }
  return 1;  // handled: CivetWeb writes nothing itself
}

int HttpServer::OnRequest(mg_connection* conn, void* self) {
  static_cast<HttpServer*>(self)->Serve(conn);
  return 1;
}

void HttpServer::Serve(mg_connection* conn) {
  const mg_request_info* ri = mg_get_request_info(conn);
  HttpRequest req;
  req.method = ri->request_method != nullptr ? ri->request_method : "";
  req.path = ri->local_uri != nullptr ? ri->local_uri : "";
  req.query = ri->query_string != nullptr ? ri->query_string : "";
  std::optional<std::string> client = gate_->ClientOf(ri->remote_port);
  if (!client) {
    // Connected to the workers' loopback port directly, around the gate and its limits.
    mg_send_http_error(conn, 403, "%s", "connect to the exporter's listen address\n");
    return;
  }
  req.client_address = std::move(*client);
  for (int i = 0; i < ri->num_headers; ++i) {
    req.headers[Lower(ri->http_headers[i].name)] = ri->http_headers[i].value;
  }

  HttpResponse resp;
  const bool head = req.method == "HEAD";
  std::shared_ptr<const WebConfig> web = web_config_.Get();
  bool close = false;  // refused before routing: nothing more is read from this connection
  if (req.method != "GET" && !head) {
    resp = HttpResponse::Text(405, "method not allowed\n");
    resp.headers.emplace_back("Allow", "GET, HEAD");
    close = true;
  } else if (req.path == kAsteriskTargetPath) {
    // A later request on a kept-alive connection whose target was `*` (the gate passed it on
    // with this path: CivetWeb would close without an answer); OPTIONS got its 405 above.
    resp = HttpResponse::Text(400, "the request target * is only for OPTIONS\n");
    close = true;
  } else if (int refusal = BodyRefusal(*ri); refusal != 0) {
    resp = HttpResponse::Text(refusal, "request bodies are not accepted\n");
    close = true;
  } else if (const Route* route = Find(req.path); route != nullptr) {
    if (std::optional<HttpResponse> refused = Authorize(route->access, req)) {
      resp = std::move(*refused);
    } else {
      try {
        resp = route->handler(req);
      } catch (const std::exception& e) {
        log_.Error("request handler failed", {{"path", req.path}, {"err", e.what()}});
        resp = HttpResponse::Text(500, "internal error\n");
      }
    }
  } else {
    resp = HttpResponse::Text(404, "not found\n");
  }
  if (close) {
    // The unread body (or whatever follows a refused request) must not be taken for the next
    // request: CivetWeb closes the connection after this answer and says so in its headers.
    mg_disable_connection_keep_alive(conn);
  }

  std::string_view body = resp.Body();
  mg_response_header_start(conn, resp.status);
  mg_response_header_add(conn, "Content-Type", resp.content_type.c_str(), -1);
  // A 304's Content-Length would have to be the 200's (RFC 9110 8.6): it has none.
  if (resp.status != 304) {
    mg_response_header_add(conn, "Content-Length", std::to_string(body.size()).c_str(), -1);
  }
  mg_response_header_add(conn, "Date", HttpDate().c_str(), -1);
  bool nosniff_configured = false;
  for (const auto& [name, value] : web->headers) {
    mg_response_header_add(conn, name.c_str(), value.c_str(), -1);
    nosniff_configured = nosniff_configured || name == "X-Content-Type-Options";
  }
  if (!nosniff_configured) mg_response_header_add(conn, "X-Content-Type-Options", "nosniff", -1);
  for (const auto& [name, value] : resp.headers) {
    mg_response_header_add(conn, name.c_str(), value.c_str(), -1);
  }
  mg_response_header_send(conn);
  if (!head && !body.empty()) mg_write(conn, body.data(), body.size());
}

void ReloadWebConfigFile(const std::string& path, HttpServer& server, logging::Logger& log) {
  if (path.empty()) {
    log.Info("SIGHUP: no --web.config.file given, nothing to reload");
    return;
  }
  std::string error;
  std::shared_ptr<const WebConfig> next = LoadWebConfig(path, &error);
  if (!next || !server.ApplyWebConfig(next, &error)) {
    log.Error("web config reload failed; keeping the previous one", {{"err", error}});
    return;
  }
  log.Info("web config reloaded", {{"file", path}});
}

std::optional<HttpResponse> HttpServer::Authorize(Access access, const HttpRequest& req) {
  if (access == Access::kPublic) return std::nullopt;
  // Telemetry is open unless users are configured (exporter-toolkit's behaviour); personal data
  // never is.
  if (access == Access::kTelemetry && !auth_.HasUsers()) return std::nullopt;
  AuthResult result = auth_.Check(req.Header("authorization"), req.client_address);
  switch (result) {
    case AuthResult::kAllowed:
      return std::nullopt;
    case AuthResult::kBusy:
    case AuthResult::kAddressBusy: {
      HttpResponse r = JsonError(429, "too many password checks in progress; retry shortly");
      r.headers.emplace_back("Retry-After", "1");
      return r;
    }
    case AuthResult::kAddressThrottled: {
      HttpResponse r = JsonError(429,
                                 "too many failed password checks from this address; retry "
                                 "later");
      r.headers.emplace_back("Retry-After",
                             std::to_string(auth_.RetryAfterSeconds(req.client_address)));
      return r;
    }
    case AuthResult::kNoUsers: {
      HttpResponse r = JsonError(401, kNoUsersMessage);
      r.headers.emplace_back("WWW-Authenticate", "Basic realm=\"evonic-sandbox-exporter\"");
      return r;
    }
    default: {
      HttpResponse r = JsonError(401, "authentication required: valid Basic credentials needed");
      r.headers.emplace_back("WWW-Authenticate",
                             "Basic realm=\"evonic-sandbox-exporter\", charset=\"UTF-8\"");
      return r;
    }
  }
}

}  // namespace evonic::exporter
