// Stats answers: ParseStats, then ComputeUsage with the exporter's previous reading.
// Input: <current answer> NUL <previous answer> [NUL <network mode>].

#include <cstddef>
#include <cstdint>
#include <string>

#include "collectors/docker/stats_parser.h"
#include "tests/fuzz/fuzz_input.h"

using namespace evonic;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::string> parts = fuzz::Split(fuzz::AsText(data, size));
  collectors::StatsParseResult now = collectors::ParseStats(parts[0]);
  if (!now.reading) return 0;
  collectors::StatsParseResult before;
  if (parts.size() > 1) before = collectors::ParseStats(parts[1]);
  const std::string network_mode = parts.size() > 2 ? parts[2] : "none";
  collectors::ComputeUsage(*now.reading, before.reading ? &*before.reading : nullptr, network_mode);
  collectors::ComputeUsage(*now.reading, nullptr, "bridge");
  collectors::CpuUtilization(now.reading->cpu, now.reading->precpu);
  collectors::MemoryUsedBytes(*now.reading);
  return 0;
}
