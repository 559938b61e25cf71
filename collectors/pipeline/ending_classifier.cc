#include "collectors/pipeline/ending_classifier.h"

namespace evonic::collectors {

model::Ending ClassifyEnding(const EndingSigns& signs, std::optional<int> exit_code) {
  if (signs.kill_requested) return model::Ending::kRemoved;
  const bool failed = exit_code.value_or(0) != 0;
  if (failed && signs.oom_killed) return model::Ending::kOom;
  return failed ? model::Ending::kError : model::Ending::kClean;
}

}  // namespace evonic::collectors
