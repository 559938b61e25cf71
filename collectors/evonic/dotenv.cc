#include "collectors/evonic/dotenv.h"

#include <optional>

namespace evonic::collectors {

namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsBlank(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsBlank(s.back())) s.remove_suffix(1);
  return s;
}

// A quoted value: `raw` starts with the quote. Nothing when the quote is not closed on the line.
std::optional<std::string> QuotedValue(std::string_view raw) {
  const char quote = raw.front();
  std::string value;
  for (std::size_t i = 1; i < raw.size(); ++i) {
    const char c = raw[i];
    if (c == quote) return value;
    if (quote == '"' && c == '\\' && i + 1 < raw.size()) {
      const char next = raw[++i];
      switch (next) {
        case 'n':
          value += '\n';
          break;
        case 't':
          value += '\t';
          break;
        case '"':
        case '\\':
          value += next;
          break;
        default:  // unknown escapes stay as written, as python-dotenv leaves them
          value += '\\';
          value += next;
      }
      continue;
    }
    value += c;
  }
  return std::nullopt;
}

std::string UnquotedValue(std::string_view raw) {
  for (std::size_t i = 1; i < raw.size(); ++i) {
    if (raw[i] == '#' && IsBlank(raw[i - 1])) {
      raw = raw.substr(0, i);
      break;
    }
  }
  return std::string(Trim(raw));
}

}  // namespace

std::map<std::string, std::string> ParseDotenv(std::string_view text) {
  std::map<std::string, std::string> values;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    std::string_view line = Trim(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);

    if (line.empty() || line.front() == '#') continue;
    constexpr std::string_view kExport = "export";
    if (line.substr(0, kExport.size()) == kExport && line.size() > kExport.size() &&
        IsBlank(line[kExport.size()])) {
      line = Trim(line.substr(kExport.size()));
    }
    const std::size_t equals = line.find('=');
    if (equals == std::string_view::npos) continue;
    const std::string_view key = Trim(line.substr(0, equals));
    if (key.empty()) continue;
    const std::string_view raw = Trim(line.substr(equals + 1));
    if (!raw.empty() && (raw.front() == '"' || raw.front() == '\'')) {
      std::optional<std::string> value = QuotedValue(raw);
      if (value) values[std::string(key)] = std::move(*value);
      continue;
    }
    values[std::string(key)] = UnquotedValue(raw);
  }
  return values;
}

}  // namespace evonic::collectors
