#include "exporter/http_server.h"

#include <civetweb.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

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

}  // namespace

HttpResponse HttpResponse::Text(int status, std::string text) {
  HttpResponse r;
  r.status = status;
  r.owned = std::move(text);
  return r;
}

std::string ToCivetPorts(const std::string& listen_address) {
  std::size_t colon = listen_address.rfind(':');
  if (colon == std::string::npos) return {};
  std::string host = listen_address.substr(0, colon), port = listen_address.substr(colon + 1);
  if (!IsDigits(port) || std::atoi(port.c_str()) > 65535) return {};
  if (host.empty()) return port;  // every interface
  if (host.front() == '[') {
    if (host.back() != ']') return {};
    return host + ":" + port;  // CivetWeb takes [addr]:port for IPv6
  }
  // An IPv6 host must be bracketed (as Go's net.SplitHostPort requires).
  if (host.find_first_of(" ,:[]") != std::string::npos) return {};
  return host + ":" + port;
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

HttpServer::HttpServer(Routes routes, logging::Logger& log)
    : routes_(std::move(routes)), log_(log) {}

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
  if (ctx_ != nullptr) mg_stop(ctx_);
}

std::unique_ptr<HttpServer> HttpServer::Start(const Options& options, Routes routes,
                                              logging::Logger& log, std::string* error) {
  std::string ports = ToCivetPorts(options.listen_address);
  if (ports.empty()) {
    *error = "web.listen-address '" + options.listen_address + "': expected [host]:port";
    return nullptr;
  }
  std::unique_ptr<HttpServer> server(new HttpServer(std::move(routes), log));
  const std::string threads = std::to_string(options.num_threads);
  const std::string timeout = std::to_string(options.request_timeout_ms);
  // Keep-alive lets Prometheus and benchmarks reuse connections; the short keep-alive timeout
  // stops idle connections from holding every worker thread.
  const char* config[] = {"listening_ports",
                          ports.c_str(),
                          "num_threads",
                          threads.c_str(),
                          "request_timeout_ms",
                          timeout.c_str(),
                          "enable_keep_alive",
                          "yes",
                          "keep_alive_timeout_ms",
                          "2000",
                          nullptr};
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
    *error = "cannot listen on '" + options.listen_address +
             "': " + (error_text[0] != '\0' ? error_text : "unknown CivetWeb error");
    return nullptr;
  }
  mg_set_request_handler(server->ctx_, "/", &HttpServer::OnRequest, server.get());
  mg_server_port bound[4] = {};
  int n = mg_get_server_ports(server->ctx_, 4, bound);
  if (n > 0) server->port_ = bound[0].port;
  return server;
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
  for (int i = 0; i < ri->num_headers; ++i) {
    req.headers[Lower(ri->http_headers[i].name)] = ri->http_headers[i].value;
  }

  HttpResponse resp;
  const bool head = req.method == "HEAD";
  if (req.method != "GET" && !head) {
    resp = HttpResponse::Text(405, "method not allowed\n");
    resp.headers.emplace_back("Allow", "GET, HEAD");
  } else if (const Route* route = Find(req.path); route != nullptr) {
    try {
      resp = route->handler(req);
    } catch (const std::exception& e) {
      log_.Error("request handler failed", {{"path", req.path}, {"err", e.what()}});
      resp = HttpResponse::Text(500, "internal error\n");
    }
  } else {
    resp = HttpResponse::Text(404, "not found\n");
  }

  std::string_view body = resp.Body();
  mg_response_header_start(conn, resp.status);
  mg_response_header_add(conn, "Content-Type", resp.content_type.c_str(), -1);
  mg_response_header_add(conn, "Content-Length", std::to_string(body.size()).c_str(), -1);
  mg_response_header_add(conn, "X-Content-Type-Options", "nosniff", -1);
  for (const auto& [name, value] : resp.headers) {
    mg_response_header_add(conn, name.c_str(), value.c_str(), -1);
  }
  mg_response_header_send(conn);
  if (!head && !body.empty()) mg_write(conn, body.data(), body.size());
}

}  // namespace evonic::exporter
