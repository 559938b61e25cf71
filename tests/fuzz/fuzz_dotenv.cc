// Evonic's .env: ParseDotenv, ParseMaxContainers on every value, and MaxContainersSetting reading
// the text from a file as the collection loop does.

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "collectors/evonic/dotenv.h"
#include "collectors/evonic/max_containers.h"
#include "logging/logger.h"
#include "tests/fuzz/fuzz_input.h"

using namespace evonic;

namespace {

const std::string& DotenvPath() {
  static const std::string path = "/tmp/evonic-fuzz-dotenv-" + std::to_string(getpid());
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static std::FILE* devnull = std::fopen("/dev/null", "w");
  static logging::Logger log(logging::Level::kDebug, logging::Format::kLogfmt, devnull);
  const std::string_view text = fuzz::AsText(data, size);
  for (const auto& [key, value] : collectors::ParseDotenv(text)) {
    collectors::ParseMaxContainers(key);
    collectors::ParseMaxContainers(value);
  }
  std::FILE* f = std::fopen(DotenvPath().c_str(), "wb");
  if (f == nullptr) return 0;
  std::fwrite(data, 1, size, f);
  std::fclose(f);
  collectors::MaxContainersSetting from_file(std::nullopt, DotenvPath(), log);
  from_file.Current();
  from_file.Current();
  const std::string first_line(text.substr(0, text.find('\n')));
  collectors::MaxContainersSetting from_environment(first_line, DotenvPath(), log);
  from_environment.Current();
  return 0;
}
