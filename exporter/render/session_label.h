#pragma once
// How a sandbox's session appears in Prometheus labels. A session id is `<agent>-<8 hex of SHA-1
// over the user and the agent>`, which brute force can reverse for short user ids such as phone
// numbers, so operators may hash it with a secret key or drop it.

#include <optional>
#include <string>

#include "model/snapshot.h"

namespace evonic::exporter {

/// \brief Maps a sandbox to its `session_id` (and `container_name`, which contains the session
/// id) label values. Immutable after creation; thread-safe.
///   raw:  the session id and container name as they are (the default);
///   hash: both replaced by the first 16 hex digits of HMAC-SHA256(key, session id);
///   drop: both replaced by the container's 12-character id (unique, not personal).
class SessionLabeler {
 public:
  enum class Mode { kRaw, kHash, kDrop };

  SessionLabeler() = default;  // raw
  /// `mode` is raw, hash or drop; hash needs `key_file` (at least 16 bytes of key). On failure
  /// returns nothing and says why in `error`.
  static std::optional<SessionLabeler> Create(const std::string& mode, const std::string& key_file,
                                              std::string* error);

  std::string SessionLabel(const model::Sandbox& s) const;
  std::string ContainerNameLabel(const model::Sandbox& s) const;
  Mode mode() const { return mode_; }

 private:
  Mode mode_ = Mode::kRaw;
  std::string key_;
};

}  // namespace evonic::exporter
