#pragma once
// REST answers are pure functions of a published snapshot and the path; rendering one at 100
// sandboxes costs about a millisecond, so each is rendered once per snapshot and then served as
// the same bytes, like the exposition.

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "exporter/render/answer.h"

namespace evonic::exporter {

/// A stored answer: the plain one and its gzip copy (empty if zlib failed).
struct StoredAnswer {
  Answer plain;
  std::string gzip;
};

/// \brief The successful answers of the newest snapshot seen, by request path.
///
/// All methods are thread-safe. Only answers of the newest generation are kept: a request that
/// still holds an older snapshot neither finds nor evicts anything. Only 200 answers are stored,
/// so the entries are bounded by the pool path and the agents that exist.
class RestAnswerCache {
 public:
  /// The cached answer for `path` of snapshot `generation`, or nullptr.
  std::shared_ptr<const StoredAnswer> Find(std::uint64_t generation, const std::string& path);
  /// Keeps `answer` for `path` of `generation`; a newer generation drops the older answers.
  void Store(std::uint64_t generation, const std::string& path,
             std::shared_ptr<const StoredAnswer> answer);
  /// The stored answer, or `render()`'s, stored when it is a 200. Renders run one at a time, so
  /// the clients that all miss right after a new snapshot wait for one render instead of each
  /// building the same document (ten concurrent pool renders at 100 sandboxes were the heap's
  /// peak).
  std::shared_ptr<const StoredAnswer> FindOrRender(
      std::uint64_t generation, const std::string& path,
      const std::function<std::shared_ptr<const StoredAnswer>()>& render);

 private:
  std::mutex render_mu_;  // held while rendering; never while holding mu_
  std::mutex mu_;
  std::uint64_t generation_ = 0;
  std::unordered_map<std::string, std::shared_ptr<const StoredAnswer>> answers_;
};

}  // namespace evonic::exporter
