# Writes OUTPUT, a C++ source defining evonic::exporter::UiAssetFiles(): every file in FILES (paths
# under ASSETS_DIR separated by '|') as bytes, with the first 16 hex digits of its SHA-256 (the
# ETag). Run at build time: cmake -DASSETS_DIR=... -DFILES=... -DOUTPUT=... -P embed_assets.cmake
# Bytes rather than raw string literals: any file, any content, no delimiter to collide with.
string(REPLACE "|" ";" FILES "${FILES}")
set(body "")
set(table "")
set(index 0)
foreach(path IN LISTS FILES)
  file(RELATIVE_PATH name "${ASSETS_DIR}" "${path}")
  file(READ "${path}" hex HEX)
  file(SHA256 "${path}" sha)
  string(SUBSTRING "${sha}" 0 16 sha)
  string(LENGTH "${hex}" hex_length)
  math(EXPR size "${hex_length} / 2")
  if(size EQUAL 0)
    message(FATAL_ERROR "embed_assets: ${path} is empty")
  endif()
  # 32 bytes per line keeps the generated file readable in a debugger.
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){32})" "\\1\n    " bytes "${bytes}")
  string(APPEND body "constexpr unsigned char kFile${index}[] = {\n    ${bytes}};\n")
  string(APPEND table "      {\"${name}\", Bytes(kFile${index}, ${size}), \"${sha}\"},\n")
  math(EXPR index "${index} + 1")
endforeach()
set(text "// Generated at build time by exporter/ui/embed_assets.cmake from exporter/ui/assets/.
// Do not edit: change the assets instead.
#include \"exporter/ui/ui_assets.h\"

namespace evonic::exporter {

namespace {

std::string_view Bytes(const unsigned char* data, std::size_t size) {
  return std::string_view(reinterpret_cast<const char*>(data), size);
}

${body}
}  // namespace

std::vector<EmbeddedFile> UiAssetFiles() {
  return {
${table}  };
}

}  // namespace evonic::exporter
")
# Rewritten only when different, so that an unchanged asset set rebuilds nothing.
if(EXISTS "${OUTPUT}")
  file(READ "${OUTPUT}" old)
  if(old STREQUAL text)
    return()
  endif()
endif()
file(WRITE "${OUTPUT}" "${text}")
