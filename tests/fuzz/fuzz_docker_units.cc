// docker-CLI units: every function of docker_units.h on doubles taken from the input's bytes
// (8 bytes each, so NaN, infinities, subnormals and huge values all occur), and on the doubles a
// decimal reading of the input gives.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "exporter/render/docker_units.h"
#include "tests/fuzz/fuzz_input.h"

using namespace evonic;

namespace {

// A size is "--" or a number and its unit; a percentage ends with '%'. Anything else (a cut
// buffer, a missing unit) aborts, which libFuzzer reports.
void CheckSize(const std::string& text) {
  if (text == "--") return;
  if (text.empty() || text.back() != 'B' || text.size() > 32) std::abort();
}

void Every(double value) {
  CheckSize(exporter::BinarySize(value));
  CheckSize(exporter::DecimalSize(value));
  const std::string percent = exporter::Percent(value);
  if (percent.empty() || percent.back() != '%') std::abort();
  exporter::RoundTwoDecimals(value);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  for (std::size_t i = 0; i + sizeof(double) <= size; i += sizeof(double)) {
    double value;
    std::memcpy(&value, data + i, sizeof value);
    Every(value);
  }
  const std::string text(fuzz::AsText(data, size));
  Every(std::strtod(text.c_str(), nullptr));
  return 0;
}
