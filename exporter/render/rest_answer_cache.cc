#include "exporter/render/rest_answer_cache.h"

#include <utility>

namespace evonic::exporter {

std::shared_ptr<const StoredAnswer> RestAnswerCache::Find(std::uint64_t generation,
                                                          const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  if (generation != generation_) return nullptr;
  auto it = answers_.find(path);
  return it == answers_.end() ? nullptr : it->second;
}

void RestAnswerCache::Store(std::uint64_t generation, const std::string& path,
                            std::shared_ptr<const StoredAnswer> answer) {
  std::unordered_map<std::string, std::shared_ptr<const StoredAnswer>> dropped;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (generation < generation_) return;
    if (generation > generation_) {
      generation_ = generation;
      dropped.swap(answers_);  // freed outside the lock
    }
    answers_[path] = std::move(answer);
  }
}

std::shared_ptr<const StoredAnswer> RestAnswerCache::FindOrRender(
    std::uint64_t generation, const std::string& path,
    const std::function<std::shared_ptr<const StoredAnswer>()>& render) {
  if (auto hit = Find(generation, path)) return hit;
  std::lock_guard<std::mutex> rendering(render_mu_);
  if (auto hit = Find(generation, path)) return hit;  // rendered while this one waited
  std::shared_ptr<const StoredAnswer> answer = render();
  if (answer->plain.status == 200) Store(generation, path, answer);
  return answer;
}

}  // namespace evonic::exporter
