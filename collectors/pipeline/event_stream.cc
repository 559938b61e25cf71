#include "collectors/pipeline/event_stream.h"

#include <curl/curl.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <utility>

#include "collectors/docker/curl_handles.h"
#include "collectors/docker/engine_answers.h"

namespace evonic::collectors {

void StreamQueue::Push(StreamItem item) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (item.kind == StreamItem::Kind::kLine) {
      if (lines_ >= capacity_) {
        ++dropped_;
        return;
      }
      ++lines_;
    }
    items_.push_back(std::move(item));
  }
  ready_.notify_one();
}

std::optional<StreamItem> StreamQueue::Pop(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  ready_.wait_until(lock, deadline, [this] { return closed_ || !items_.empty(); });
  if (closed_ || items_.empty()) return std::nullopt;
  StreamItem item = std::move(items_.front());
  items_.pop_front();
  if (item.kind == StreamItem::Kind::kLine) --lines_;
  return item;
}

void StreamQueue::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
  }
  ready_.notify_all();
}

std::string SinceParameter(std::int64_t time_nano) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%lld.%09lld", static_cast<long long>(time_nano / 1000000000),
                static_cast<long long>(time_nano % 1000000000));
  return buf;
}

namespace {

std::int64_t NowNano() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct Transfer {
  StreamQueue* queue = nullptr;
  const std::atomic<bool>* stopping = nullptr;
  CURL* easy = nullptr;
  std::size_t max_line = 0;
  std::string partial;
  bool connected = false;
  long status = 0;
  std::string error_body;
};

std::size_t OnData(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t n = size * count;
  if (!t->connected) {  // an error answer: keep it for the message
    if (t->error_body.size() < 4096) t->error_body.append(data, std::min<std::size_t>(n, 4096));
    return n;
  }
  std::size_t begin = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (data[i] != '\n') continue;
    t->partial.append(data + begin, i - begin);
    begin = i + 1;
    if (!t->partial.empty()) {
      t->queue->Push({StreamItem::Kind::kLine, std::move(t->partial), nullptr});
    }
    t->partial.clear();
  }
  t->partial.append(data + begin, n - begin);
  if (t->partial.size() > t->max_line) t->partial.clear();  // no event is that long: skip it
  return n;
}

std::size_t OnHeader(char* /*data*/, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t n = size * count;
  if (n <= 2 && !t->connected) {  // end of headers
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &t->status);
    if (t->status == 200) {
      t->connected = true;
      t->queue->Push({StreamItem::Kind::kConnected, "", nullptr});
    }
  }
  return n;
}

int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<Transfer*>(user)->stopping->load() ? 1 : 0;  // non-zero aborts
}

}  // namespace

EventStream::EventStream(Options options, StreamQueue& queue,
                         std::function<std::int64_t()> since_nano)
    : options_(std::move(options)),
      queue_(queue),
      since_nano_(std::move(since_nano)),
      started_nano_(NowNano()) {}

EventStream::~EventStream() { Stop(); }

void EventStream::Start() {
  thread_ = std::thread([this] { Run(); });
}

void EventStream::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool EventStream::Follow(const std::string& path, std::string* why) {
  Transfer t;
  t.queue = &queue_;
  t.stopping = &stopping_;
  t.max_line = options_.max_line_bytes;
  detail::CurlEasy easy(curl_easy_init());
  if (!easy) {
    *why = "cannot create a curl handle";
    return false;
  }
  t.easy = easy.get();
  char error_buffer[CURL_ERROR_SIZE] = {};
  const auto& o = options_.client;
  CURL* h = easy.get();
  ConfigureEngineGet(h, o, path);
  // No CURLOPT_TIMEOUT and no low-speed limit: a quiet engine sends nothing for hours.
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &OnData);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, &OnProgress);
  curl_easy_setopt(h, CURLOPT_XFERINFODATA, &t);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
  CURLcode code = curl_easy_perform(h);
  if (!t.connected) {
    if (t.status == 0) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &t.status);
    *why = t.status != 0
               ? "HTTP " + std::to_string(t.status) + ": " + EngineErrorMessage(t.error_body)
           : error_buffer[0] != '\0' ? std::string(error_buffer)
                                     : std::string(curl_easy_strerror(code));
    return false;
  }
  *why = code == CURLE_OK          ? "the engine ended the event stream"
         : error_buffer[0] != '\0' ? std::string(error_buffer)
                                   : std::string(curl_easy_strerror(code));
  return true;
}

void EventStream::Run() {
  DockerClient client(options_.client);
  auto backoff = options_.backoff_initial;
  const std::string filters =
      R"({"type":["container"],"label":[)" + nlohmann::json(options_.label_filter).dump() + "]}";
  while (!stopping_) {
    std::string why;
    bool reached = false;
    auto began = std::chrono::steady_clock::now();
    HttpAnswer version = client.Get("/version");
    auto parsed = version.Ok() ? ParseVersion(version.body) : Parsed<EngineVersion>{};
    if (!version.Ok()) {
      why = "GET /version: " + (version.transport_error.empty()
                                    ? "HTTP " + std::to_string(version.status)
                                    : version.transport_error);
    } else if (!parsed.value) {
      why = "GET /version: " + parsed.error;
    } else {
      std::int64_t since = since_nano_();
      if (since <= 0) since = started_nano_;
      const std::string path = "/v" + NegotiateApiVersion(*parsed.value).ToString() +
                               "/events?since=" + SinceParameter(since) +
                               "&filters=" + UrlEncode(filters);
      reached = Follow(path, &why);
    }
    if (stopping_) break;
    queue_.Push({StreamItem::Kind::kDisconnected, why, nullptr});
    // A connection that lived a while resets the backoff; failures in a row double it.
    if (reached && std::chrono::steady_clock::now() - began > std::chrono::seconds(5)) {
      backoff = options_.backoff_initial;
    }
    std::unique_lock<std::mutex> lock(mu_);
    wake_.wait_for(lock, backoff, [this] { return stopping_.load(); });
    backoff = std::min(backoff * 2, options_.backoff_max);
  }
}

}  // namespace evonic::collectors
