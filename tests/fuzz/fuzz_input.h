#pragma once
// Helpers shared by the fuzz targets: the input as text, cut into parts.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace evonic::fuzz {

/// The fuzzer's bytes as a string_view.
inline std::string_view AsText(const std::uint8_t* data, std::size_t size) {
  return std::string_view(reinterpret_cast<const char*>(data), size);
}

/// The input cut at every `separator` byte (NUL by default): "a\0b" gives {"a", "b"}.
inline std::vector<std::string> Split(std::string_view text, char separator = '\0') {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    std::size_t end = text.find(separator, start);
    if (end == std::string_view::npos) {
      parts.emplace_back(text.substr(start));
      return parts;
    }
    parts.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
}

}  // namespace evonic::fuzz
