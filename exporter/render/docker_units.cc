#include "exporter/render/docker_units.h"

#include <cmath>
#include <cstdio>
#include <cstring>

namespace evonic::exporter {

namespace {

// docker/go-units: divide by the base while the size is at least the base, then "%.*g<unit>".
// C's %g and Go's %g agree on these values (no exponent below the precision's power of ten).
std::string Human(double size, double base, const char* const* units, int count, int precision) {
  if (!std::isfinite(size) || size < 0) return "--";
  int i = 0;
  while (size >= base && i < count - 1) {
    size /= base;
    ++i;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", precision, size);
  if (std::strchr(buf, 'e') != nullptr && i < count - 1) {
    // Rounding reached the base (999.9 -> "1e+03"): say it in the next unit instead.
    std::snprintf(buf, sizeof buf, "%.*g", precision, size / base);
    ++i;
  }
  return std::string(buf) + units[i];
}

constexpr const char* kBinary[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"};
constexpr const char* kDecimal[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};

}  // namespace

std::string BinarySize(double bytes) { return Human(bytes, 1024.0, kBinary, 9, 4); }

std::string DecimalSize(double bytes) { return Human(bytes, 1000.0, kDecimal, 9, 3); }

std::string Percent(double percent) {
  char buf[320];  // the longest "%.2f" of a double, -DBL_MAX: 309 digits, sign, point, decimals
  std::snprintf(buf, sizeof buf, "%.2f%%", percent);
  return buf;
}

double RoundTwoDecimals(double value) { return std::round(value * 100.0) / 100.0; }

}  // namespace evonic::exporter
