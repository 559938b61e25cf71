#include "exporter/web/web_config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "exporter/web/bcrypt_hash.h"
#include "logging/small_file.h"

namespace evonic::exporter {

namespace {

// A config file is a few lines; anything this large is a mistake (or /dev/zero).

// Thrown while walking the document; caught once in ParseWebConfig and turned into `error`.
struct ConfigError {
  std::string where;
  std::string what;
};

std::string Where(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

std::string Position(const YAML::Node& node) {
  const YAML::Mark m = node.Mark();
  if (m.is_null()) return "";
  return " (line " + std::to_string(m.line + 1) + ")";
}

// The keys of a mapping, refusing duplicates and keys outside `known` (exporter-toolkit decodes
// strictly too: a misspelt key must not silently leave a server open).
std::map<std::string, YAML::Node> Mapping(const YAML::Node& node, const std::string& where,
                                          const std::set<std::string>& known) {
  std::map<std::string, YAML::Node> out;
  if (!node || node.IsNull()) return out;
  if (!node.IsMap()) throw ConfigError{where, "expected a mapping" + Position(node)};
  for (const auto& kv : node) {
    if (!kv.first.IsScalar()) throw ConfigError{where, "keys must be strings" + Position(kv.first)};
    const std::string key = kv.first.Scalar();
    if (!known.empty() && known.count(key) == 0) {
      throw ConfigError{where, "unknown key '" + key + "'" + Position(kv.first)};
    }
    if (!out.emplace(key, kv.second).second) {
      throw ConfigError{where, "duplicate key '" + key + "'" + Position(kv.first)};
    }
  }
  return out;
}

std::string Scalar(const YAML::Node& node, const std::string& where) {
  if (node.IsNull()) return "";
  if (!node.IsScalar()) throw ConfigError{where, "expected a string" + Position(node)};
  return node.Scalar();
}

bool HasControl(const std::string& s) {
  return std::any_of(s.begin(), s.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; });
}

std::string Resolve(const std::string& base_dir, const std::string& path) {
  if (path.empty() || path.front() == '/' || base_dir.empty()) return path;
  return base_dir.back() == '/' ? base_dir + path : base_dir + "/" + path;
}

// Keys exporter-toolkit knows but this exporter does not implement: named so that the error
// says "not supported" rather than "unknown".
const std::set<std::string> kUnsupportedTlsKeys = {"cert",
                                                   "key",
                                                   "client_ca_file",
                                                   "client_ca",
                                                   "cipher_suites",
                                                   "max_version",
                                                   "curve_preferences",
                                                   "prefer_server_cipher_suites",
                                                   "client_allowed_sans"};

void ParseTls(const YAML::Node& node, const std::string& base_dir, WebConfig& out) {
  const std::string where = "tls_server_config";
  std::set<std::string> known = {"cert_file", "key_file", "min_version", "client_auth_type"};
  known.insert(kUnsupportedTlsKeys.begin(), kUnsupportedTlsKeys.end());
  auto keys = Mapping(node, where, known);
  for (const auto& [key, value] : keys) {
    if (kUnsupportedTlsKeys.count(key) != 0) {
      throw ConfigError{
          where, "'" + key + "' is not supported by evonic-sandbox-exporter" + Position(value)};
    }
  }
  std::string cert = keys.count("cert_file") ? Scalar(keys["cert_file"], where + ".cert_file") : "";
  std::string key = keys.count("key_file") ? Scalar(keys["key_file"], where + ".key_file") : "";
  if (keys.count("client_auth_type") != 0) {
    std::string type = Scalar(keys["client_auth_type"], where + ".client_auth_type");
    if (!type.empty() && type != "NoClientCert") {
      throw ConfigError{
          where + ".client_auth_type",
          "'" + type + "' is not supported (only NoClientCert: use basic_auth_users)"};
    }
  }
  if (keys.count("min_version") != 0) {
    std::string v = Scalar(keys["min_version"], where + ".min_version");
    if (v == "TLS12" || v.empty()) {
      out.tls.min_version = TlsVersion::kTls12;
    } else if (v == "TLS13") {
      out.tls.min_version = TlsVersion::kTls13;
    } else if (v == "TLS10" || v == "TLS11") {
      throw ConfigError{where + ".min_version", "'" + v + "' is too old; use TLS12 or TLS13"};
    } else {
      throw ConfigError{where + ".min_version",
                        "unknown TLS version '" + v + "' (expected TLS12 or TLS13)"};
    }
  }
  // As in exporter-toolkit: no certificate and no key means plain HTTP; one without the other is
  // a mistake.
  if (cert.empty() && key.empty()) return;
  if (cert.empty()) throw ConfigError{where, "key_file is set but cert_file is missing"};
  if (key.empty()) throw ConfigError{where, "cert_file is set but key_file is missing"};
  out.tls_enabled = true;
  out.tls.cert_file = Resolve(base_dir, cert);
  out.tls.key_file = Resolve(base_dir, key);
}

void ParseHttpServer(const YAML::Node& node, WebConfig& out) {
  const std::string where = "http_server_config";
  auto keys = Mapping(node, where, {"headers", "http2"});
  if (keys.count("http2") != 0) {
    // CivetWeb serves HTTP/1.1 only; "false" is harmless, "true" cannot be honoured.
    std::string v = Scalar(keys["http2"], where + ".http2");
    if (v != "false" && !v.empty()) {
      throw ConfigError{where + ".http2", "HTTP/2 is not supported; remove the key or set false"};
    }
  }
  if (keys.count("headers") == 0) return;
  const std::string hwhere = where + ".headers";
  const auto& allowed = AllowedWebConfigHeaders();
  for (const auto& [name, value_node] : Mapping(keys["headers"], hwhere, {})) {
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      throw ConfigError{hwhere, "header '" + name + "' can not be configured (allowed: " +
                                    "Strict-Transport-Security, X-Content-Type-Options, " +
                                    "X-Frame-Options, X-XSS-Protection, Content-Security-Policy)"};
    }
    std::string value = Scalar(value_node, hwhere + "." + name);
    if (HasControl(value)) throw ConfigError{hwhere + "." + name, "control characters in value"};
    if (name == "X-Content-Type-Options" && value != "nosniff") {
      throw ConfigError{hwhere + "." + name, "must be 'nosniff'"};
    }
    if (name == "X-Frame-Options" && value != "deny" && value != "sameorigin") {
      throw ConfigError{hwhere + "." + name, "must be 'deny' or 'sameorigin'"};
    }
    out.headers.emplace_back(name, value);
  }
}

void ParseUsers(const YAML::Node& node, WebConfig& out) {
  const std::string where = "basic_auth_users";
  for (const auto& [user, hash_node] : Mapping(node, where, {})) {
    const std::string uwhere = Where(where, user);
    if (user.empty()) throw ConfigError{where, "empty user name"};
    if (user.find(':') != std::string::npos || HasControl(user)) {
      throw ConfigError{where, "user name '" + user + "' contains ':' or a control character"};
    }
    std::string hash = Scalar(hash_node, uwhere);
    std::string why;
    if (!IsBcryptHash(hash, &why)) throw ConfigError{uwhere, why};
    out.basic_auth_users.emplace(user, hash);
  }
}

}  // namespace

const std::vector<std::string>& AllowedWebConfigHeaders() {
  static const std::vector<std::string> kAllowed = {"Strict-Transport-Security",
                                                    "X-Content-Type-Options", "X-Frame-Options",
                                                    "X-XSS-Protection", "Content-Security-Policy"};
  return kAllowed;
}

std::shared_ptr<const WebConfig> ParseWebConfig(const std::string& yaml_text,
                                                const std::string& file,
                                                const std::string& base_dir, std::string* error) {
  auto config = std::make_shared<WebConfig>();
  config->file = file;
  try {
    YAML::Node root = YAML::Load(yaml_text);
    auto keys = Mapping(root, "", {"tls_server_config", "http_server_config", "basic_auth_users"});
    if (keys.count("tls_server_config")) ParseTls(keys["tls_server_config"], base_dir, *config);
    if (keys.count("http_server_config")) ParseHttpServer(keys["http_server_config"], *config);
    if (keys.count("basic_auth_users")) ParseUsers(keys["basic_auth_users"], *config);
  } catch (const ConfigError& e) {
    *error = file + ": " + (e.where.empty() ? "" : e.where + ": ") + e.what;
    return nullptr;
  } catch (const YAML::Exception& e) {
    *error = file + ": not valid YAML: " + e.what();
    return nullptr;
  }
  return config;
}

std::shared_ptr<const WebConfig> LoadWebConfig(const std::string& path, std::string* error) {
  std::optional<std::string> text = logging::ReadSmallFile(path, error);
  if (!text) return nullptr;
  std::size_t slash = path.rfind('/');
  std::string base_dir = slash == std::string::npos ? "." : path.substr(0, slash);
  if (slash == 0) base_dir = "/";
  return ParseWebConfig(*text, path, base_dir, error);
}

}  // namespace evonic::exporter
