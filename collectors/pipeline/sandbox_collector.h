#pragma once
// One collection cycle over every sandbox: list, inspect the new ones, fetch all stats at once.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "collectors/docker/engine_answers.h"
#include "collectors/docker/engine_api.h"
#include "collectors/docker/stats_parser.h"
#include "collectors/identity/sandbox_builder.h"
#include "logging/logger.h"
#include "model/snapshot.h"

namespace evonic::collectors {

/// What one cycle found.
struct CycleResult {
  bool engine_up = false;                 // the engine answered the container list
  std::string api_version;                // negotiated, empty while unknown
  std::vector<model::Sandbox> sandboxes;  // sorted by (agent_id, session_id), unique label sets
  std::uint64_t errors = 0;               // failed or unusable answers in this cycle
  std::uint64_t unmatched = 0;            // sandboxes whose identity no rule gave
  std::uint64_t not_in_evonic_db = 0;     // with a database: sandboxes whose session it lacks
};

/// \brief Reads every sandbox's state from the engine.
///
/// Keeps, between cycles, each container's inspect details (fetched once per container, freed
/// when it goes) and its previous stats reading (for CPU % from one-shot answers). Identities come
/// from the SandboxBuilder. Problems are logged once when they start and once when they end, never
/// once per cycle. Not thread-safe: one collection thread owns an instance.
class SandboxCollector {
 public:
  struct Options {
    std::string label_filter = "evonic.managed=1";
  };

  SandboxCollector(EngineApi& engine, SandboxBuilder& builder, Options options,
                   logging::Logger& log);

  /// One cycle.
  CycleResult Collect();

 private:
  struct Known {
    std::optional<ContainerDetails> details;
    std::optional<StatsReading> previous;
    std::string last_error;  // logged once; cleared (and logged) when the container recovers
  };

  void ReportEngine(bool up, const std::string& why);
  void ReportContainer(Known& known, const ContainerRef& ref, const std::string& error);

  EngineApi& engine_;
  SandboxBuilder& builder_;
  Options options_;
  logging::Logger& log_;
  bool engine_up_logged_ = false;
  bool engine_down_logged_ = false;
  std::string engine_error_;
  std::string api_version_;             // the last one negotiated, for the log line
  std::map<std::string, Known> known_;  // by container id
};

}  // namespace evonic::collectors
