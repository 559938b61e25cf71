#include "collectors/evonic/session_match.h"

#include <algorithm>

namespace evonic::collectors {

namespace {

char SanitisedChar(char c) {
  const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '_' || c == '.' || c == '-';
  return allowed ? c : '-';
}

bool IsTruncationLength(std::size_t length) {
  return std::find(std::begin(kTruncatedSessionIdLengths), std::end(kTruncatedSessionIdLengths),
                   length) != std::end(kTruncatedSessionIdLengths);
}

// Whether SanitiseSessionId(id) starts with `prefix`, without building the sanitised string.
bool SanitisedStartsWith(std::string_view id, std::string_view prefix) {
  if (id.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (SanitisedChar(id[i]) != prefix[i]) return false;
  }
  return true;
}

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

}  // namespace

std::string SanitiseSessionId(std::string_view session_id) {
  std::string out(session_id);
  std::transform(out.begin(), out.end(), out.begin(), SanitisedChar);
  return out;
}

SessionIndex::SessionIndex(std::shared_ptr<const model::EvonicView> view) : view_(std::move(view)) {
  if (!view_) view_ = std::make_shared<const model::EvonicView>();
  by_sanitised_id_.reserve(view_->sessions.size());
  for (const auto& [id, session] : view_->sessions) {
    by_sanitised_id_.emplace_back(SanitiseSessionId(id), &session);
  }
  std::sort(by_sanitised_id_.begin(), by_sanitised_id_.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
}

std::optional<model::EvonicSession> SessionIndex::Match(std::string_view candidate) const {
  if (candidate.empty()) return std::nullopt;
  const auto exact = view_->sessions.find(std::string(candidate));
  if (exact != view_->sessions.end()) return exact->second;

  // Every entry at or after `first` whose sanitised id starts with the candidate is contiguous,
  // and an equal sanitised id sorts first among them.
  const auto first = std::lower_bound(
      by_sanitised_id_.begin(), by_sanitised_id_.end(), candidate,
      [](const auto& entry, std::string_view value) { return entry.first < value; });
  const auto fits = [&](auto it) {
    return it != by_sanitised_id_.end() && StartsWith(it->first, candidate);
  };
  if (!fits(first)) return std::nullopt;
  const bool unique = !fits(std::next(first));
  if (first->first == candidate) {
    if (unique || std::next(first)->first != candidate) return *first->second;
    return std::nullopt;  // two sessions with one container name
  }
  if (IsTruncationLength(candidate.size()) && unique) return *first->second;
  return std::nullopt;
}

std::optional<model::EvonicSession> MatchSession(const model::EvonicView& view,
                                                 const std::string& candidate) {
  if (candidate.empty()) return std::nullopt;
  const auto exact = view.sessions.find(candidate);
  if (exact != view.sessions.end()) return exact->second;

  const model::EvonicSession* sanitised_match = nullptr;
  const model::EvonicSession* prefix_match = nullptr;
  std::size_t sanitised_matches = 0, prefix_matches = 0;
  for (const auto& [id, session] : view.sessions) {
    if (!SanitisedStartsWith(id, candidate)) continue;
    if (id.size() == candidate.size()) {
      ++sanitised_matches;
      sanitised_match = &session;
    } else {
      ++prefix_matches;
      prefix_match = &session;
    }
  }
  if (sanitised_matches == 1) return *sanitised_match;
  if (sanitised_matches > 1) return std::nullopt;
  if (IsTruncationLength(candidate.size()) && prefix_matches == 1) return *prefix_match;
  return std::nullopt;
}

}  // namespace evonic::collectors
