// DockerEndpoint::Parse and UrlEncode (no engine needed).

#include "collectors/docker/docker_client.h"

#include <gtest/gtest.h>

#include <string>

namespace evonic::collectors {
namespace {

TEST(DockerEndpoint, UnixSocket) {
  std::string error;
  auto e = DockerEndpoint::Parse("unix:///var/run/docker.sock", &error);
  ASSERT_TRUE(e.has_value()) << error;
  EXPECT_EQ(e->unix_socket, "/var/run/docker.sock");
  EXPECT_EQ(e->base_url, "http://localhost");
  EXPECT_EQ(e->text, "unix:///var/run/docker.sock");
}

TEST(DockerEndpoint, Tcp) {
  std::string error;
  auto e = DockerEndpoint::Parse("tcp://127.0.0.1:2375", &error);
  ASSERT_TRUE(e.has_value()) << error;
  EXPECT_EQ(e->unix_socket, "");
  EXPECT_EQ(e->base_url, "http://127.0.0.1:2375");
  EXPECT_EQ(e->text, "tcp://127.0.0.1:2375");
  auto slash = DockerEndpoint::Parse("tcp://docker.internal:2375/", &error);
  ASSERT_TRUE(slash.has_value()) << error;
  EXPECT_EQ(slash->base_url, "http://docker.internal:2375");
  auto v6 = DockerEndpoint::Parse("tcp://[::1]:2375", &error);
  ASSERT_TRUE(v6.has_value()) << error;
  EXPECT_EQ(v6->base_url, "http://[::1]:2375");
}

TEST(DockerEndpoint, Rejected) {
  for (const char* bad : {"", "unix://", "unix://docker.sock", "/var/run/docker.sock", "tcp://",
                          "tcp://127.0.0.1", "tcp://127.0.0.1:", "tcp://host:2375/path",
                          "http://127.0.0.1:2375", "npipe:////./pipe/x", "ssh://user@host"}) {
    SCOPED_TRACE(bad);
    std::string error;
    EXPECT_FALSE(DockerEndpoint::Parse(bad, &error).has_value());
    EXPECT_FALSE(error.empty());
  }
}

TEST(DockerEndpoint, NonNumericPortRejected) {
  std::string error;
  for (const char* bad : {"tcp://127.0.0.1:notaport", "tcp://:2375", "tcp://127.0.0.1:99999"}) {
    SCOPED_TRACE(bad);
    error.clear();
    EXPECT_FALSE(DockerEndpoint::Parse(bad, &error).has_value());
    EXPECT_FALSE(error.empty());
  }
}

TEST(UrlEncode, TheFilterTheCollectorSends) {
  // The recorded request (engine-docker20.10/README.md): filters={"label":["evonic.managed=1"]}
  EXPECT_EQ(UrlEncode(R"({"label":["evonic.managed=1"]})"),
            "%7B%22label%22%3A%5B%22evonic.managed%3D1%22%5D%7D");
}

TEST(UrlEncode, UnreservedKeptEverythingElseEncoded) {
  EXPECT_EQ(UrlEncode("AZaz09-_.~"), "AZaz09-_.~");
  EXPECT_EQ(UrlEncode(""), "");
  EXPECT_EQ(UrlEncode(" /?#&+%"), "%20%2F%3F%23%26%2B%25");
  EXPECT_EQ(UrlEncode("\xc3\xa9"), "%C3%A9");  // "é" in UTF-8
  EXPECT_EQ(UrlEncode(std::string("a\0b", 3)), "a%00b");
}

}  // namespace
}  // namespace evonic::collectors
