// Command-line flags: ParseFlags on argv cut at NUL bytes (the first part is $DOCKER_HOST), and
// ParseDuration on every part.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "exporter/flags.h"
#include "tests/fuzz/fuzz_input.h"

using namespace evonic;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::string> parts = fuzz::Split(fuzz::AsText(data, size));
  for (const std::string& part : parts) exporter::ParseDuration(part);
  const std::string env_docker_host = parts[0];
  parts.erase(parts.begin());
  exporter::ParseFlags(parts, env_docker_host);
  return 0;
}
