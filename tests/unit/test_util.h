#pragma once
// Helpers shared by the unit tests: reading fixture files.

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace evonic::test {

/// The bytes of `relative` under tests/fixtures; a test failure (and "") when it is missing.
inline std::string Fixture(const std::string& relative) {
  const std::string path = std::string(EVONIC_FIXTURES_DIR) + "/" + relative;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ADD_FAILURE() << "missing fixture " << path;
    return {};
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace evonic::test
