// Prints the declarative metric table (name and type per line) so that scripted tests can check
// a live /metrics page against it.
#include <cstdio>

#include "exporter/render/metric_table.h"

int main() {
  for (const auto& def : evonic::exporter::MetricTable()) {
    const char* type = def.type == prometheus::MetricType::Counter     ? "counter"
                       : def.type == prometheus::MetricType::Histogram ? "histogram"
                                                                       : "gauge";
    std::printf("%s %s %s\n", def.name, type, def.per_sandbox != nullptr ? "sandbox" : "other");
  }
  return 0;
}
