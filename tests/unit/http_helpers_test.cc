// ToCivetPorts and AcceptsGzip.

#include <gtest/gtest.h>

#include <string>

#include "exporter/web/http_server.h"

namespace evonic::exporter {
namespace {

TEST(ToCivetPorts, PrometheusStyleAddresses) {
  EXPECT_EQ(ToCivetPorts(":9717"), "9717");
  EXPECT_EQ(ToCivetPorts("127.0.0.1:0"), "127.0.0.1:0");
  EXPECT_EQ(ToCivetPorts("127.0.0.1:9717"), "127.0.0.1:9717");
  EXPECT_EQ(ToCivetPorts("[::1]:9717"), "[::1]:9717");
  EXPECT_EQ(ToCivetPorts(":65535"), "65535");
}

TEST(ToCivetPorts, MalformedGiveEmpty) {
  for (const char* bad : {"", "9717", ":", "127.0.0.1:", ":abc", ":97x7", ":65536", ":99999", ":-1",
                          "[::1:9717", "[::1]", "a b:9717", "a,b:9717"}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(ToCivetPorts(bad), "");
  }
}

TEST(ToCivetPorts, UnbracketedIpv6IsMalformed) {
  // Go's net.SplitHostPort (Prometheus exporters' rule) rejects "::1:9717": too many colons.
  EXPECT_EQ(ToCivetPorts("::1:9717"), "");
  EXPECT_EQ(ToCivetPorts("[::1]:9717"), "[::1]:9717");
}

TEST(AcceptsGzip, HeaderValues) {
  EXPECT_TRUE(AcceptsGzip("gzip"));
  EXPECT_TRUE(AcceptsGzip("gzip, deflate"));
  EXPECT_TRUE(AcceptsGzip("deflate, gzip"));
  EXPECT_TRUE(AcceptsGzip(" GZIP "));
  EXPECT_TRUE(AcceptsGzip("gzip;q=0.5"));
  EXPECT_TRUE(AcceptsGzip("br;q=1.0, gzip ; q=0.001"));
  EXPECT_FALSE(AcceptsGzip("deflate, gzip;q=0"));
  EXPECT_FALSE(AcceptsGzip("gzip;q=0.0"));
  EXPECT_FALSE(AcceptsGzip("identity"));
  EXPECT_FALSE(AcceptsGzip(""));
  EXPECT_FALSE(AcceptsGzip("deflate, br"));
  EXPECT_FALSE(AcceptsGzip("gzipx"));
  EXPECT_FALSE(AcceptsGzip("x-gzipped"));
}

}  // namespace
}  // namespace evonic::exporter
