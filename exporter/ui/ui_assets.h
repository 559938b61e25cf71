#pragma once
// The live page's files (exporter/ui/assets/), compiled into the binary by
// exporter/ui/embed_assets.cmake: the page works offline and fetches nothing from elsewhere.

#include <string_view>
#include <vector>

namespace evonic::exporter {

/// One compiled-in file. The views point into constant data of the binary: valid for ever.
struct EmbeddedFile {
  std::string_view name;    // path under assets/, e.g. "ui.js"
  std::string_view bytes;   // the file's content, byte for byte
  std::string_view sha256;  // first 16 hex digits of the content's SHA-256
};

/// Every file of exporter/ui/assets/ (generated at build time). Pure, thread-safe.
std::vector<EmbeddedFile> UiAssetFiles();

}  // namespace evonic::exporter
