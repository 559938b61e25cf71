#include "collectors/pipeline/memory_returner.h"

#include <malloc.h>

namespace evonic::collectors {

void FreeMemoryReturner::AfterPublish() {
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (last_.time_since_epoch().count() != 0 && now - last_ < min_gap_) return;
    last_ = now;
  }
  malloc_trim(0);
}

void FreeMemoryReturner::AfterBurst() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    last_ = std::chrono::steady_clock::now();
  }
  malloc_trim(0);
}

}  // namespace evonic::collectors
