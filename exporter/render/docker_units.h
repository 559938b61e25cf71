#pragma once
// Sizes and percentages written the way the Docker CLI writes them in `docker stats`, for the REST
// answers Evonic's UI shows. Pure functions; thread-safe.

#include <string>

namespace evonic::exporter {

/// Memory: binary units with Go's %.4g and no space: "0B", "1023B", "1KiB", "511.9MiB", "1.5GiB".
std::string BinarySize(double bytes);

/// Network and block I/O: decimal units with Go's %.3g: "999B", "1kB", "2.1MB", "12.3GB". Where Go
/// would print an exponent (999,900 B is "1e+03kB" from the CLI), the next unit is used ("1MB").
std::string DecimalSize(double bytes);

/// A percentage with two decimals and a percent sign, as docker stats: "27.73%".
std::string Percent(double percent);

/// A number rounded to two decimals (cpu_percent).
double RoundTwoDecimals(double value);

}  // namespace evonic::exporter
