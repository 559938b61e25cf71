// The web config file (--web.config.file): ParseWebConfig on the YAML text.

#include <cstddef>
#include <cstdint>
#include <string>

#include "exporter/web/web_config.h"
#include "tests/fuzz/fuzz_input.h"

using namespace evonic;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string error;
  exporter::ParseWebConfig(std::string(fuzz::AsText(data, size)), "web-config.yml", "/etc/evonic",
                           &error);
  return 0;
}
