#include "collectors/docker/docker_client.h"

#include <curl/curl.h>

#include <memory>
#include <utility>

#include "collectors/docker/curl_handles.h"

namespace evonic::collectors {

namespace {

struct Transfer {
  detail::CurlEasy easy;
  HttpAnswer answer;
  std::size_t max_body = 0;
  bool too_large = false;
  std::string unix_socket;
  char error_buffer[CURL_ERROR_SIZE] = {};
};

std::size_t OnBody(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::size_t n = size * count;
  if (t->answer.body.size() + n > t->max_body) {
    t->too_large = true;
    return 0;  // aborts the transfer
  }
  t->answer.body.append(data, n);
  return n;
}

std::unique_ptr<Transfer> MakeTransfer(const DockerClient::Options& o, const std::string& path) {
  auto t = std::make_unique<Transfer>();
  t->easy.reset(curl_easy_init());
  t->max_body = o.max_body_bytes;
  t->unix_socket = o.endpoint.unix_socket;
  CURL* h = t->easy.get();
  if (h == nullptr) return t;
  ConfigureEngineGet(h, o, path);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(o.request_timeout.count()));
  // A stats answer is 2-5 KB; curl's default 16 KiB receive buffer per transfer made up 1.6 MB
  // of the peak heap at 100 concurrent transfers (heaptrack). Larger answers take more reads.
  curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 4096L);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, t.get());
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, t->error_buffer);
  return t;
}

void Finish(Transfer& t, CURLcode code) {
  if (t.easy == nullptr) {
    t.answer.transport_error = "cannot create a curl handle";
    return;
  }
  if (code != CURLE_OK) {
    t.answer.body.clear();
    t.answer.status = 0;
    if (t.too_large) {
      t.answer.transport_error = "answer larger than " + std::to_string(t.max_body) + " bytes";
    } else if (code == CURLE_COULDNT_CONNECT && !t.unix_socket.empty()) {
      // curl's own text names "localhost port 80", which misleads for a unix socket.
      t.answer.transport_error = "cannot connect to unix socket " + t.unix_socket;
    } else {
      t.answer.transport_error = t.error_buffer[0] != '\0' ? std::string(t.error_buffer)
                                                           : std::string(curl_easy_strerror(code));
    }
    return;
  }
  curl_easy_getinfo(t.easy.get(), CURLINFO_RESPONSE_CODE, &t.answer.status);
}

}  // namespace

std::optional<DockerEndpoint> DockerEndpoint::Parse(const std::string& text, std::string* error) {
  DockerEndpoint e;
  e.text = text;
  const std::string unix_prefix = "unix://", tcp_prefix = "tcp://";
  if (text.rfind(unix_prefix, 0) == 0) {
    e.unix_socket = text.substr(unix_prefix.size());
    if (e.unix_socket.empty() || e.unix_socket[0] != '/') {
      *error = "docker host '" + text + "': a unix socket needs an absolute path";
      return std::nullopt;
    }
    e.base_url = "http://localhost";
    return e;
  }
  if (text.rfind(tcp_prefix, 0) == 0) {
    std::string hostport = text.substr(tcp_prefix.size());
    while (!hostport.empty() && hostport.back() == '/') hostport.pop_back();
    std::size_t colon = hostport.rfind(':');
    const std::string port = colon == std::string::npos ? "" : hostport.substr(colon + 1);
    if (colon == std::string::npos || colon == 0 || port.empty() || port.size() > 5 ||
        port.find_first_not_of("0123456789") != std::string::npos || std::stoi(port) > 65535 ||
        hostport.find('/') != std::string::npos) {
      *error = "docker host '" + text + "': expected tcp://host:port";
      return std::nullopt;
    }
    e.base_url = "http://" + hostport;
    return e;
  }
  *error = "docker host '" + text + "': expected unix:///path or tcp://host:port";
  return std::nullopt;
}

DockerClient::DockerClient(Options options) : options_(std::move(options)) {}

HttpAnswer DockerClient::Get(const std::string& path) const {
  auto t = MakeTransfer(options_, path);
  CURLcode code = t->easy ? curl_easy_perform(t->easy.get()) : CURLE_FAILED_INIT;
  Finish(*t, code);
  return std::move(t->answer);
}

std::vector<HttpAnswer> DockerClient::GetAll(const std::vector<std::string>& paths) const {
  std::vector<HttpAnswer> answers(paths.size());
  if (paths.empty()) return answers;
  detail::CurlMulti multi(curl_multi_init());
  if (multi == nullptr) {
    for (auto& a : answers) a.transport_error = "cannot create a curl multi handle";
    return answers;
  }
  std::vector<std::unique_ptr<Transfer>> transfers(paths.size());
  std::size_t next = 0, running_count = 0;
  auto start_more = [&] {
    while (next < paths.size() && running_count < options_.max_in_flight) {
      transfers[next] = MakeTransfer(options_, paths[next]);
      Transfer& t = *transfers[next];
      if (t.easy == nullptr) {
        Finish(t, CURLE_FAILED_INIT);
      } else {
        curl_easy_setopt(t.easy.get(), CURLOPT_PRIVATE, reinterpret_cast<void*>(next));
        curl_multi_add_handle(multi.get(), t.easy.get());
        ++running_count;
      }
      ++next;
    }
  };
  start_more();
  while (running_count > 0) {
    int still_running = 0;
    curl_multi_perform(multi.get(), &still_running);
    int queued = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi.get(), &queued)) {
      if (msg->msg != CURLMSG_DONE) continue;
      void* index_ptr = nullptr;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &index_ptr);
      auto index = reinterpret_cast<std::size_t>(index_ptr);
      CURLcode code = msg->data.result;
      curl_multi_remove_handle(multi.get(), msg->easy_handle);
      Finish(*transfers[index], code);
      answers[index] = std::move(transfers[index]->answer);
      transfers[index].reset();  // frees the easy handle as soon as its answer is in
      --running_count;
    }
    start_more();
    if (running_count > 0) curl_multi_poll(multi.get(), nullptr, 0, 1000, nullptr);
  }
  return answers;
}

void ConfigureEngineGet(CURL* h, const DockerClient::Options& o, const std::string& path) {
  const std::string url = o.endpoint.base_url + path;
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  if (!o.endpoint.unix_socket.empty()) {
    curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, o.endpoint.unix_socket.c_str());
  }
  curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);  // the exporter only ever reads from the engine
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(o.connect_timeout.count()));
  curl_easy_setopt(h, CURLOPT_USERAGENT, "evonic-sandbox-exporter");
}

std::string UrlEncode(const std::string& text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace evonic::collectors
