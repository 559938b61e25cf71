#pragma once
// The real engine behind EngineApi: one DockerClient, one negotiated API version for everyone.

#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "collectors/docker/docker_client.h"
#include "collectors/docker/engine_api.h"
#include "logging/logger.h"

namespace evonic::collectors {

/// \brief EngineApi over HTTP (unix socket or TCP) with libcurl.
///
/// The version is negotiated on first use and kept until the engine refuses it (HTTP 400 on the
/// container list), cannot be reached, or an event stream ends (the engine may have restarted
/// with another version): the next call then negotiates again. Thread-safe; needs a live
/// CurlGlobal.
class DockerEngine final : public EngineApi {
 public:
  DockerEngine(DockerClient::Options options, logging::Logger& log);

  std::optional<ApiVersion> Version(std::string* why) override;
  HttpAnswer Info() override;
  HttpAnswer ListContainers(const std::string& label_filter) override;
  HttpAnswer Inspect(const std::string& id) override;
  std::vector<HttpAnswer> InspectAll(const std::vector<std::string>& ids) override;
  std::vector<HttpAnswer> StatsAll(const std::vector<StatsQuery>& queries) override;
  EventStreamEnd FollowEvents(const std::string& label_filter, std::int64_t since_nano,
                              const EventStreamSink& sink, const StopSignal& stop) override;
  std::string Where() const override { return client_.options().endpoint.text; }

 private:
  /// "/v1.41" + path, or nullopt (and `answer` says why) when no version can be negotiated.
  std::optional<std::string> Versioned(const std::string& path, HttpAnswer* answer);
  /// One GET per container id, of "/containers/<id>" + its suffix, under the negotiated version
  /// (one negotiation for all), at once. `suffix` is given the negotiated version.
  std::vector<HttpAnswer> GetEach(
      const std::vector<std::string>& ids,
      const std::function<std::string(std::size_t i, const ApiVersion&)>& suffix);
  void ForgetVersion();

  DockerClient client_;
  logging::Logger& log_;
  std::mutex mu_;  // guards version_; held while negotiating so that one caller negotiates
  std::optional<ApiVersion> version_;
};

/// "HTTP 404: no such container" or the transport's error, for log lines.
std::string DescribeAnswer(const HttpAnswer& answer);

}  // namespace evonic::collectors
