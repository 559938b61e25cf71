// Parsing exporter-toolkit's web config: what is accepted, and that every refusal names the file
// and the problem.

#include "exporter/web/web_config.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "exporter/web/bcrypt_hash.h"

namespace evonic::exporter {
namespace {

const char* kHash = "$2b$04$4R31HksN8xOhWEareEynouW7VBzCYSrgMn8g7WjsCCu4ZuAzLOwny";  // "pw"

std::string ParseError(const std::string& yaml) {
  std::string error;
  auto config = ParseWebConfig(yaml, "web.yml", "/etc/exporter", &error);
  EXPECT_EQ(config, nullptr) << yaml;
  return error;
}

TEST(WebConfig, FullConfigIsParsed) {
  std::string error;
  auto c = ParseWebConfig(std::string("tls_server_config:\n  cert_file: tls/cert.pem\n"
                                      "  key_file: /abs/key.pem\n  min_version: TLS13\n"
                                      "http_server_config:\n  headers:\n"
                                      "    Strict-Transport-Security: max-age=31536000\n"
                                      "    X-Frame-Options: deny\n"
                                      "basic_auth_users:\n  prometheus: ") +
                              kHash + "\n",
                          "web.yml", "/etc/exporter", &error);
  ASSERT_NE(c, nullptr) << error;
  EXPECT_TRUE(c->tls_enabled);
  EXPECT_EQ(c->tls.cert_file, "/etc/exporter/tls/cert.pem");  // relative to the file's folder
  EXPECT_EQ(c->tls.key_file, "/abs/key.pem");
  EXPECT_EQ(c->tls.min_version, TlsVersion::kTls13);
  ASSERT_EQ(c->headers.size(), 2u);
  EXPECT_EQ(c->basic_auth_users.at("prometheus"), kHash);
}

TEST(WebConfig, EmptyFileAndEmptyTlsMeanPlainHttpWithoutUsers) {
  std::string error;
  auto empty = ParseWebConfig("", "web.yml", ".", &error);
  ASSERT_NE(empty, nullptr) << error;
  EXPECT_FALSE(empty->tls_enabled);
  EXPECT_TRUE(empty->basic_auth_users.empty());
  auto no_paths = ParseWebConfig("tls_server_config:\n  min_version: TLS12\n", "w", ".", &error);
  ASSERT_NE(no_paths, nullptr) << error;
  EXPECT_FALSE(no_paths->tls_enabled);
}

TEST(WebConfig, RefusalsNameTheFileAndTheProblem) {
  EXPECT_EQ(ParseError("basic_auth_user:\n  a: b\n"),
            "web.yml: unknown key 'basic_auth_user' (line 1)");
  EXPECT_EQ(ParseError("tls_server_config:\n  cert: x\n"),
            "web.yml: tls_server_config: 'cert' is not supported by evonic-sandbox-exporter "
            "(line 2)");
  EXPECT_EQ(ParseError("tls_server_config:\n  cert_file: c.pem\n"),
            "web.yml: tls_server_config: cert_file is set but key_file is missing");
  EXPECT_EQ(ParseError("tls_server_config:\n  min_version: TLS10\n"),
            "web.yml: tls_server_config.min_version: 'TLS10' is too old; use TLS12 or TLS13");
  EXPECT_EQ(ParseError("tls_server_config:\n  min_version: SSL3\n"),
            "web.yml: tls_server_config.min_version: unknown TLS version 'SSL3' (expected TLS12 "
            "or TLS13)");
  EXPECT_NE(ParseError("http_server_config:\n  headers:\n    Set-Cookie: a\n")
                .find("web.yml: http_server_config.headers: header 'Set-Cookie' can not be "
                      "configured"),
            std::string::npos);
  EXPECT_EQ(ParseError("http_server_config:\n  headers:\n    X-Frame-Options: allow\n"),
            "web.yml: http_server_config.headers.X-Frame-Options: must be 'deny' or 'sameorigin'");
  EXPECT_EQ(ParseError("basic_auth_users:\n  alice: secret\n"),
            "web.yml: basic_auth_users.alice: not a bcrypt hash (expected $2a$, $2b$ or $2y$; "
            "make one with evonic-sandbox-exporter hash-password)");
  EXPECT_EQ(ParseError("basic_auth_users:\n  alice: $2b$04$short\n"),
            "web.yml: basic_auth_users.alice: bcrypt hash has 12 characters, expected 60");
  EXPECT_EQ(ParseError(std::string("basic_auth_users:\n  a:b: ") + kHash + "\n"),
            "web.yml: basic_auth_users: user name 'a:b' contains ':' or a control character");
  EXPECT_EQ(ParseError(std::string("basic_auth_users:\n  a: ") + kHash + "\n  a: " + kHash + "\n"),
            "web.yml: basic_auth_users: duplicate key 'a' (line 3)");
  EXPECT_EQ(ParseError("- a\n- b\n"), "web.yml: expected a mapping (line 1)");
  EXPECT_EQ(ParseError("basic_auth_users: [\n").rfind("web.yml: not valid YAML: ", 0), 0u);
}

TEST(WebConfig, LoadNamesAMissingFile) {
  std::string error;
  EXPECT_EQ(LoadWebConfig("/nonexistent/web.yml", &error), nullptr);
  EXPECT_EQ(error, "/nonexistent/web.yml: cannot open: No such file or directory");
}

TEST(WebConfig, LoadResolvesRelativePathsAgainstTheFilesFolder) {
  char dir[] = "/tmp/evonic-webcfg-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string path = std::string(dir) + "/web.yml";
  std::ofstream(path) << "tls_server_config:\n  cert_file: c.pem\n  key_file: k.pem\n";
  std::string error;
  auto c = LoadWebConfig(path, &error);
  ASSERT_NE(c, nullptr) << error;
  EXPECT_EQ(c->tls.cert_file, std::string(dir) + "/c.pem");
  std::remove(path.c_str());
  rmdir(dir);
}

TEST(Bcrypt, VerifiesAllThreePrefixes) {
  auto hash = BcryptHash("s3cret", 4);
  ASSERT_TRUE(hash.has_value());
  std::string why;
  EXPECT_TRUE(IsBcryptHash(*hash, &why)) << why;
  EXPECT_TRUE(BcryptVerify("s3cret", *hash));
  EXPECT_FALSE(BcryptVerify("s3cret!", *hash));
  EXPECT_TRUE(BcryptVerify("pw", kHash));  // made by Python's crypt module (libxcrypt)
  // $2a$ and $2y$ hash ASCII passwords exactly as $2b$ does.
  for (const char* prefix : {"$2a$", "$2y$"}) {
    std::string other = prefix + hash->substr(4);
    EXPECT_TRUE(IsBcryptHash(other, &why)) << why;
    EXPECT_TRUE(BcryptVerify("s3cret", other)) << prefix;
  }
  EXPECT_FALSE(IsBcryptHash("$1$abc$def", &why));
  EXPECT_FALSE(IsBcryptHash("$2b$99$" + hash->substr(7), &why));
  EXPECT_FALSE(BcryptVerify("s3cret", "garbage"));
}

}  // namespace
}  // namespace evonic::exporter
