#include "exporter/render/history_query.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <ctime>

namespace evonic::exporter {

namespace {

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (std::isdigit(static_cast<unsigned char>(c)) == 0) return false;
  }
  return true;
}

int Number(std::string_view s) {
  int v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Days from 1970-01-01 to the given civil date (proleptic Gregorian; H. Hinnant's algorithm).
long DaysFromCivil(long y, unsigned m, unsigned d) {
  y -= m <= 2;
  const long era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<long>(doe) - 719468;
}

std::optional<double> ParseRfc3339(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm|-hh:mm)
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
      s[13] != ':' || s[16] != ':') {
    return std::nullopt;
  }
  for (std::size_t i : {0, 5, 8, 11, 14, 17}) {
    if (!AllDigits(s.substr(i, i == 0 ? 4 : 2))) return std::nullopt;
  }
  const int year = Number(s.substr(0, 4)), month = Number(s.substr(5, 2)),
            day = Number(s.substr(8, 2)), hour = Number(s.substr(11, 2)),
            minute = Number(s.substr(14, 2)), second = Number(s.substr(17, 2));
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  std::size_t i = 19;
  double fraction = 0;
  if (i < s.size() && s[i] == '.') {
    std::size_t start = ++i;
    double scale = 0.1;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) != 0) {
      fraction += (s[i] - '0') * scale;
      scale /= 10;
      ++i;
    }
    if (i == start) return std::nullopt;
  }
  int offset = 0;
  std::string_view zone = s.substr(i);
  if (zone == "Z" || zone == "z") {
    offset = 0;
  } else if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':' &&
             AllDigits(zone.substr(1, 2)) && AllDigits(zone.substr(4, 2))) {
    const int hours = Number(zone.substr(1, 2)), minutes = Number(zone.substr(4, 2));
    if (hours > 23 || minutes > 59) return std::nullopt;
    offset = (zone[0] == '+' ? 1 : -1) * (hours * 3600 + minutes * 60);
  } else {
    return std::nullopt;
  }
  const double days = static_cast<double>(
      DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)));
  return days * 86400 + hour * 3600 + minute * 60 + second + fraction - offset;
}

}  // namespace

std::optional<double> ParseTimeParameter(std::string_view text) {
  if (text.empty()) return std::nullopt;
  if (std::isdigit(static_cast<unsigned char>(text.front())) != 0 &&
      text.find_first_not_of("0123456789.") == std::string_view::npos) {
    const std::string copy(text);
    char* end = nullptr;
    const double v = std::strtod(copy.c_str(), &end);
    if (end != copy.c_str() + copy.size() || !std::isfinite(v) || v > 1e12) return std::nullopt;
    return v;
  }
  return ParseRfc3339(text);
}

std::optional<std::string> DecodeQueryValue(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      const int hi = HexValue(text[i + 1]), lo = HexValue(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::optional<model::HistoryQuery> ParseHistoryQuery(std::string_view query_string,
                                                     std::string* error) {
  model::HistoryQuery q;
  q.limit = kHistoryPageLimit;
  bool since_given = false;
  while (!query_string.empty()) {
    const std::size_t amp = query_string.find('&');
    std::string_view pair = query_string.substr(0, amp);
    query_string =
        amp == std::string_view::npos ? std::string_view() : query_string.substr(amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    const std::string_view name = pair.substr(0, eq);
    std::optional<std::string> value =
        DecodeQueryValue(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    if (!value) {
      *error = "malformed percent-escape in '" + std::string(name) + "'";
      return std::nullopt;
    }
    if (name == "since" || name == "until") {
      std::optional<double> t = ParseTimeParameter(*value);
      if (!t) {
        *error = std::string(name) + "='" + value->substr(0, 64) +
                 "' is neither unix seconds nor an RFC 3339 time (e.g. 2026-11-27T08:00:00Z)";
        return std::nullopt;
      }
      if (name == "since") {
        q.since = *t;
        since_given = true;
      } else {
        q.until = *t;
      }
    } else if (name == "agent_id") {
      q.agent_id = *value;
    } else if (name == "session_id") {
      q.session_id = *value;
    } else if (name == "limit") {
      if (!AllDigits(*value) || value->size() > 5 || Number(*value) < 1 ||
          static_cast<std::size_t>(Number(*value)) > kHistoryPageLimit) {
        *error = "limit must be a whole number from 1 to " + std::to_string(kHistoryPageLimit);
        return std::nullopt;
      }
      q.limit = static_cast<std::size_t>(Number(*value));
    } else if (name == "cursor") {
      if (!AllDigits(*value) || value->size() > 18) {
        *error = "cursor must be the 'next' of a previous answer";
        return std::nullopt;
      }
      q.after_id = std::strtoll(value->c_str(), nullptr, 10);
    } else {
      *error = "unknown parameter '" + std::string(name).substr(0, 64) +
               "' (since, until, agent_id, session_id, limit, cursor)";
      return std::nullopt;
    }
  }
  if (!since_given) {
    *error = "since is required (unix seconds or RFC 3339)";
    return std::nullopt;
  }
  if (q.until && *q.until < q.since) {
    *error = "until is before since";
    return std::nullopt;
  }
  return q;
}

}  // namespace evonic::exporter
