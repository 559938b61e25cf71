#include "collectors/pipeline/tool_classifier.h"

namespace evonic::collectors {

model::Tool ClassifyTool(std::string_view command) {
  std::size_t start = command.find_first_not_of(' ');
  if (start == std::string_view::npos) return model::Tool::kOther;
  std::string_view program = command.substr(start);
  program = program.substr(0, program.find(' '));
  if (std::size_t slash = program.rfind('/'); slash != std::string_view::npos) {
    program = program.substr(slash + 1);
  }
  if (program == "bash") return model::Tool::kBash;
  if (program == "python3" || program == "python") return model::Tool::kPython;
  return model::Tool::kOther;
}

}  // namespace evonic::collectors
