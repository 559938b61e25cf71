#pragma once
// Parsing of Evonic's `<root>/.env` file: a pure function on text, no file access.

#include <map>
#include <string>
#include <string_view>

namespace evonic::collectors {

/// \brief The `KEY=value` assignments of a .env text, as python-dotenv (which Evonic uses) reads
/// the common cases: blank lines and `#` comment lines are skipped; an `export ` prefix is allowed;
/// whitespace around key and value is trimmed; a value in single or double quotes is taken
/// verbatim up to the closing quote (double quotes also understand \" \\ \n \t); an unquoted value
/// ends at a `#` preceded by whitespace (an inline comment). Lines without `=`, with an empty key
/// or with an unterminated quote are ignored. A key given twice keeps its last value.
std::map<std::string, std::string> ParseDotenv(std::string_view text);

}  // namespace evonic::collectors
