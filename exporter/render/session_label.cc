#include "exporter/render/session_label.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <utility>

#include "logging/small_file.h"

namespace evonic::exporter {

namespace {
constexpr std::size_t kMinKeyBytes = 16;
constexpr std::size_t kHexDigits = 16;
}  // namespace

std::optional<SessionLabeler> SessionLabeler::Create(const std::string& mode,
                                                     const std::string& key_file,
                                                     std::string* error) {
  SessionLabeler l;
  if (mode == "raw") return l;
  if (mode == "drop") {
    l.mode_ = Mode::kDrop;
    return l;
  }
  if (mode != "hash") {
    *error = "--identity.session-label-mode=" + mode + ": expected raw, hash or drop";
    return std::nullopt;
  }
  if (key_file.empty()) {
    *error = "--identity.session-label-mode=hash needs --identity.session-hash-key-file";
    return std::nullopt;
  }
  std::string why;
  std::optional<std::string> key = logging::ReadSmallFile(key_file, &why);
  if (!key) {
    *error = "--identity.session-hash-key-file: " + why;
    return std::nullopt;
  }
  l.key_ = std::move(*key);
  while (!l.key_.empty() && (l.key_.back() == '\n' || l.key_.back() == '\r')) l.key_.pop_back();
  if (l.key_.size() < kMinKeyBytes) {
    *error = "--identity.session-hash-key-file=" + key_file + ": the key must have at least " +
             std::to_string(kMinKeyBytes) + " bytes";
    return std::nullopt;
  }
  l.mode_ = Mode::kHash;
  return l;
}

std::string SessionLabeler::SessionLabel(const model::Sandbox& s) const {
  switch (mode_) {
    case Mode::kRaw:
      return s.session_id;
    case Mode::kDrop:
      return s.container_id.substr(0, 12);
    case Mode::kHash: {
      unsigned char digest[EVP_MAX_MD_SIZE];
      unsigned int length = 0;
      HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
           reinterpret_cast<const unsigned char*>(s.session_id.data()), s.session_id.size(), digest,
           &length);
      static constexpr char kHex[] = "0123456789abcdef";
      std::string out;
      for (unsigned int i = 0; i < length && out.size() < kHexDigits; ++i) {
        out += kHex[digest[i] >> 4];
        out += kHex[digest[i] & 15];
      }
      return out;
    }
  }
  return s.session_id;
}

std::string SessionLabeler::ContainerNameLabel(const model::Sandbox& s) const {
  // The container name is "evonic-<session id>": it must not leak what the session label hides.
  return mode_ == Mode::kRaw ? s.container_name : SessionLabel(s);
}

}  // namespace evonic::exporter
