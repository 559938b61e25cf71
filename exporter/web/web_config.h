#pragma once
// The web config file shared by Prometheus exporters (exporter-toolkit's --web.config.file):
// TLS, extra response headers and Basic-auth users with bcrypt hashes.

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace evonic::exporter {

enum class TlsVersion { kTls12, kTls13 };

/// tls_server_config. Paths are absolute: relative ones were resolved against the config file's
/// folder when it was read, as exporter-toolkit does.
struct TlsServerConfig {
  std::string cert_file;
  std::string key_file;
  TlsVersion min_version = TlsVersion::kTls12;  // exporter-toolkit's default
  bool operator==(const TlsServerConfig& o) const {
    return cert_file == o.cert_file && key_file == o.key_file && min_version == o.min_version;
  }
};

/// \brief One parsed, validated web config. Immutable once built: share it as
/// shared_ptr<const WebConfig> between threads.
struct WebConfig {
  std::string file;          // where it came from; empty for the built-in default
  bool tls_enabled = false;  // false: plain HTTP (no tls_server_config or both paths empty)
  TlsServerConfig tls;
  std::vector<std::pair<std::string, std::string>> headers;  // http_server_config.headers
  std::map<std::string, std::string> basic_auth_users;       // user -> bcrypt hash
};

/// Reads and validates `path`. On failure returns nullptr and sets `error` to a message naming
/// the file and the problem (e.g. "web.config.yml: tls_server_config: unknown key 'cert'").
std::shared_ptr<const WebConfig> LoadWebConfig(const std::string& path, std::string* error);

/// Parses the YAML text of a web config; `base_dir` resolves relative certificate paths and
/// `file` names the source in errors. Does not open the certificate files (see tls_context.h).
std::shared_ptr<const WebConfig> ParseWebConfig(const std::string& yaml_text,
                                                const std::string& file,
                                                const std::string& base_dir, std::string* error);

/// The header names exporter-toolkit allows in http_server_config.headers.
const std::vector<std::string>& AllowedWebConfigHeaders();

}  // namespace evonic::exporter
