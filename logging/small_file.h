#pragma once
// Reading the small files an operator points the exporter at (web config, thresholds, the session
// hash key, Evonic's .env), never more than a bound: `--thresholds.file=/dev/zero` must be an
// error, not an exhausted memory.

#include <cstddef>
#include <optional>
#include <string>

namespace evonic::logging {

/// The default bound: every such file is a few KiB at most.
inline constexpr std::size_t kMaxSmallFileBytes = 1 << 20;

/// The whole content of `path`, or nullopt and `error` ("<path>: cannot open: <reason>", "<path>:
/// larger than 1 MiB; is this the right file?"). Reads at most `max_bytes` + 1 bytes, so devices
/// and endless files cost no more. Thread-safe (no shared state); never throws.
std::optional<std::string> ReadSmallFile(const std::string& path, std::string* error,
                                         std::size_t max_bytes = kMaxSmallFileBytes);

}  // namespace evonic::logging
