#include "collectors/docker/docker_engine.h"

#include <curl/curl.h>

#include <atomic>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <utility>

#include "collectors/docker/curl_handles.h"

namespace evonic::collectors {

namespace {

constexpr long kBadRequest = 400;

std::string LabelFilter(const std::string& label_filter, bool containers_only) {
  return std::string(containers_only ? R"({"type":["container"],"label":[)" : R"({"label":[)") +
         nlohmann::json(label_filter).dump() + "]}";
}

// One streaming transfer: lines go to the sink as they complete.
struct StreamTransfer {
  const EventStreamSink* sink = nullptr;
  const StopSignal* stop = nullptr;
  CURL* easy = nullptr;
  std::size_t max_line = 1u << 20;  // no event is that long: such a line is skipped
  std::string partial;
  bool connected = false;
  long status = 0;
  std::string error_body;
};

std::size_t OnStreamData(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<StreamTransfer*>(user);
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
    if (!t->partial.empty()) t->sink->line(std::move(t->partial));
    t->partial.clear();
  }
  t->partial.append(data + begin, n - begin);
  if (t->partial.size() > t->max_line) t->partial.clear();
  return n;
}

std::size_t OnStreamHeader(char* /*data*/, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<StreamTransfer*>(user);
  const std::size_t n = size * count;
  if (n <= 2 && !t->connected) {  // end of headers
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &t->status);
    if (t->status == 200) {
      t->connected = true;
      t->sink->connected();
    }
  }
  return n;
}

int OnStreamProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<StreamTransfer*>(user)->stop->raised() ? 1 : 0;  // non-zero aborts
}

// Runs one transfer to its end, or until `stop` is raised. curl waits on the stop signal's fd
// beside its own sockets, so a quiet stream costs no wake-ups (a 100 ms timer here cost 5 ms of
// CPU every 10 s) and a stop is seen at once.
CURLcode Perform(CURL* h, const StopSignal& stop) {
  detail::CurlMulti multi(curl_multi_init());
  if (!multi) return CURLE_OUT_OF_MEMORY;
  curl_multi_add_handle(multi.get(), h);
  curl_waitfd stop_fd{stop.fd(), CURL_WAIT_POLLIN, 0};
  const unsigned extra = stop.fd() >= 0 ? 1 : 0;
  const int timeout_ms = extra ? 60000 : 100;  // without the fd, check the flag on a timer
  CURLcode code = CURLE_ABORTED_BY_CALLBACK;
  for (int running = 1; running > 0 && !stop.raised();) {
    curl_multi_perform(multi.get(), &running);
    int queued = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi.get(), &queued)) {
      if (msg->msg == CURLMSG_DONE) code = msg->data.result;
    }
    if (running > 0)
      curl_multi_poll(multi.get(), extra ? &stop_fd : nullptr, extra, timeout_ms, nullptr);
  }
  curl_multi_remove_handle(multi.get(), h);
  return code;
}

}  // namespace

std::string DescribeAnswer(const HttpAnswer& a) {
  if (!a.transport_error.empty()) return a.transport_error;
  return "HTTP " + std::to_string(a.status) + ": " + EngineErrorMessage(a.body);
}

std::string SinceParameter(std::int64_t time_nano) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%lld.%09lld", static_cast<long long>(time_nano / 1000000000),
                static_cast<long long>(time_nano % 1000000000));
  return buf;
}

DockerEngine::DockerEngine(DockerClient::Options options, logging::Logger& log)
    : client_(std::move(options)), log_(log) {}

std::optional<ApiVersion> DockerEngine::Version(std::string* why) {
  std::lock_guard<std::mutex> lock(mu_);
  if (version_) return version_;
  HttpAnswer a = client_.Get("/version");
  if (!a.Ok()) {
    *why = "GET /version: " + DescribeAnswer(a);
    return std::nullopt;
  }
  auto parsed = ParseVersion(a.body);
  if (!parsed.value) {
    *why = "GET /version: " + parsed.error;
    return std::nullopt;
  }
  version_ = NegotiateApiVersion(*parsed.value);
  log_.Debug("negotiated engine API version", {{"api_version", version_->ToString()},
                                               {"engine_api_version", parsed.value->api.ToString()},
                                               {"engine_version", parsed.value->engine_version}});
  return version_;
}

void DockerEngine::ForgetVersion() {
  std::lock_guard<std::mutex> lock(mu_);
  version_.reset();
}

std::optional<std::string> DockerEngine::Versioned(const std::string& path, HttpAnswer* answer) {
  std::string why;
  auto v = Version(&why);
  if (!v) {
    answer->transport_error = why;
    return std::nullopt;
  }
  return "/v" + v->ToString() + path;
}

HttpAnswer DockerEngine::ListContainers(const std::string& label_filter) {
  HttpAnswer a;
  auto path =
      Versioned("/containers/json?filters=" + UrlEncode(LabelFilter(label_filter, false)), &a);
  if (!path) return a;
  a = client_.Get(*path);
  // A refused version (engine upgraded underneath us) or a lost engine: negotiate again.
  if (a.status == kBadRequest || !a.transport_error.empty()) ForgetVersion();
  return a;
}

HttpAnswer DockerEngine::Info() {
  HttpAnswer a;
  auto path = Versioned("/info", &a);
  if (!path) return a;
  a = client_.Get(*path);
  if (a.status == kBadRequest || !a.transport_error.empty()) ForgetVersion();
  return a;
}

HttpAnswer DockerEngine::Inspect(const std::string& id) {
  HttpAnswer a;
  auto path = Versioned("/containers/" + id + "/json", &a);
  if (!path) return a;
  a = client_.Get(*path);
  if (!a.transport_error.empty()) ForgetVersion();
  return a;
}

std::vector<HttpAnswer> DockerEngine::InspectAll(const std::vector<std::string>& ids) {
  return GetEach(ids, [](std::size_t, const ApiVersion&) { return "/json"; });
}

std::vector<HttpAnswer> DockerEngine::StatsAll(const std::vector<StatsQuery>& queries) {
  std::vector<std::string> ids;
  ids.reserve(queries.size());
  for (const StatsQuery& q : queries) ids.push_back(q.id);
  return GetEach(ids, [&queries](std::size_t i, const ApiVersion& v) {
    // Without one-shot the engine waits for its next sample and sends the previous one along.
    return queries[i].sample == StatsSample::kOneShot && !(v < kOneShotApiVersion)
               ? "/stats?stream=false&one-shot=true"
               : "/stats?stream=false";
  });
}

std::vector<HttpAnswer> DockerEngine::GetEach(
    const std::vector<std::string>& ids,
    const std::function<std::string(std::size_t i, const ApiVersion&)>& suffix) {
  std::string why;
  auto v = Version(&why);
  if (!v) {
    HttpAnswer failed;
    failed.transport_error = why;
    return std::vector<HttpAnswer>(ids.size(), failed);
  }
  const std::string prefix = "/v" + v->ToString() + "/containers/";
  std::vector<std::string> paths;
  paths.reserve(ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) paths.push_back(prefix + ids[i] + suffix(i, *v));
  return client_.GetAll(paths);
}

EventStreamEnd DockerEngine::FollowEvents(const std::string& label_filter, std::int64_t since_nano,
                                          const EventStreamSink& sink, const StopSignal& stop) {
  EventStreamEnd end;
  HttpAnswer failed;
  auto path = Versioned("/events?since=" + SinceParameter(since_nano) +
                            "&filters=" + UrlEncode(LabelFilter(label_filter, true)),
                        &failed);
  if (!path) {
    end.why = failed.transport_error;
    return end;
  }
  // Whatever ends the stream, the engine may come back as another version: negotiate again.
  struct Forget {
    DockerEngine* engine;
    ~Forget() { engine->ForgetVersion(); }
  } forget{this};

  StreamTransfer t;
  t.sink = &sink;
  t.stop = &stop;
  detail::CurlEasy easy(curl_easy_init());
  if (!easy) {
    end.why = "cannot create a curl handle";
    return end;
  }
  t.easy = easy.get();
  char error_buffer[CURL_ERROR_SIZE] = {};
  CURL* h = easy.get();
  ConfigureEngineGet(h, client_.options(), *path);
  // No CURLOPT_TIMEOUT and no low-speed limit: a quiet engine sends nothing for hours.
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &OnStreamData);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &OnStreamHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, &OnStreamProgress);
  curl_easy_setopt(h, CURLOPT_XFERINFODATA, &t);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
  CURLcode code = Perform(h, stop);
  end.reached = t.connected;
  if (!t.connected) {
    if (t.status == 0) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &t.status);
    end.why = t.status != 0
                  ? "HTTP " + std::to_string(t.status) + ": " + EngineErrorMessage(t.error_body)
              : error_buffer[0] != '\0' ? std::string(error_buffer)
                                        : std::string(curl_easy_strerror(code));
    return end;
  }
  end.why = code == CURLE_OK          ? "the engine ended the event stream"
            : error_buffer[0] != '\0' ? std::string(error_buffer)
                                      : std::string(curl_easy_strerror(code));
  return end;
}

}  // namespace evonic::collectors
