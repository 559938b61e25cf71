// The engine's list, inspect, version and error answers; the first byte picks the parser.

#include <cstddef>
#include <cstdint>
#include <string>

#include "collectors/docker/engine_answers.h"
#include "tests/fuzz/fuzz_input.h"

using namespace evonic;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view body = fuzz::AsText(data + 1, size - 1);
  switch (data[0] % 4) {
    case 0:
      collectors::ParseContainerList(body);
      break;
    case 1:
      collectors::ParseInspect(body);
      break;
    case 2: {
      auto version = collectors::ParseVersion(body);
      if (version.value) {
        collectors::NegotiateApiVersion(*version.value).ToString();
        version.value->api.ToString();
      }
      collectors::ApiVersion::Parse(std::string(body));
      break;
    }
    default:
      collectors::EngineErrorMessage(body);
      break;
  }
  return 0;
}
