// The per-agent alert thresholds file (--thresholds.file): ParseAlertThresholds.

#include <cstddef>
#include <cstdint>
#include <string>

#include "exporter/alert_thresholds.h"
#include "tests/fuzz/fuzz_input.h"

using namespace evonic;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string error;
  exporter::ParseAlertThresholds(std::string(fuzz::AsText(data, size)), "thresholds.yml", &error);
  return 0;
}
