// ParseListenAddress, ClientKey, ExamineFirstRequestLine and AcceptsGzip.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <string>

#include "exporter/web/connection_gate.h"
#include "exporter/web/first_request_line.h"
#include "exporter/web/http_server.h"

namespace evonic::exporter {
namespace {

// The listen address as the gate binds it: text back from the parsed socket address.
std::string Parsed(const std::string& text) {
  sockaddr_storage sa{};
  socklen_t len = 0;
  std::string error;
  if (!ParseListenAddress(text, &sa, &len, &error)) {
    EXPECT_FALSE(error.empty()) << text;
    return "";
  }
  char host[INET6_ADDRSTRLEN] = {};
  int port = 0;
  if (sa.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(sa);
    inet_ntop(AF_INET6, &in6.sin6_addr, host, sizeof host);
    port = ntohs(in6.sin6_port);
    EXPECT_EQ(len, sizeof(sockaddr_in6));
    return "[" + std::string(host) + "]:" + std::to_string(port);
  }
  const auto& in4 = reinterpret_cast<const sockaddr_in&>(sa);
  inet_ntop(AF_INET, &in4.sin_addr, host, sizeof host);
  EXPECT_EQ(len, sizeof(sockaddr_in));
  return std::string(host) + ":" + std::to_string(ntohs(in4.sin_port));
}

TEST(ParseListenAddress, PrometheusStyleAddresses) {
  EXPECT_EQ(Parsed(":9717"), "0.0.0.0:9717");  // every IPv4 interface, as before the gate
  EXPECT_EQ(Parsed("127.0.0.1:0"), "127.0.0.1:0");
  EXPECT_EQ(Parsed("127.0.0.1:9717"), "127.0.0.1:9717");
  EXPECT_EQ(Parsed("[::1]:9717"), "[::1]:9717");
  EXPECT_EQ(Parsed("[::]:9717"), "[::]:9717");
  EXPECT_EQ(Parsed(":65535"), "0.0.0.0:65535");
}

TEST(ParseListenAddress, MalformedAreRefusedWithAReason) {
  for (const char* bad : {"", "9717", ":", "127.0.0.1:", ":abc", ":97x7", ":65536", ":99999", ":-1",
                          "[::1:9717", "[::1]", "a b:9717", "a,b:9717", "localhost:9717", "[]:9717",
                          "[127.0.0.1]:9717", "300.1.1.1:9717"}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(Parsed(bad), "");
  }
}

TEST(ParseListenAddress, UnbracketedIpv6IsMalformed) {
  // Go's net.SplitHostPort (Prometheus exporters' rule) rejects "::1:9717": too many colons.
  EXPECT_EQ(Parsed("::1:9717"), "");
  EXPECT_EQ(Parsed("[::1]:9717"), "[::1]:9717");
}

TEST(ClientKey, Ipv4AloneIpv6ByItsSlash64) {
  EXPECT_EQ(ClientKey("127.0.0.2"), "127.0.0.2");
  EXPECT_EQ(ClientKey("::ffff:10.1.2.3"), "10.1.2.3");
  EXPECT_EQ(ClientKey("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64");
  EXPECT_EQ(ClientKey("2001:db8:1:2::9"), ClientKey("2001:db8:1:2:ffff::1"));
  EXPECT_NE(ClientKey("2001:db8:1:2::9"), ClientKey("2001:db8:1:3::9"));
  EXPECT_EQ(ClientKey("::1"), "::/64");
}

TEST(ExamineFirstRequestLine, OriginFormAndNonsenseAreLeftToCivetWeb) {
  for (const char* head :
       {"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", "GARBAGE\r\n\r\n", "GET  /metrics HTTP/1.1\r\n",
        "GET /a b HTTP/1.1\r\n", " * x\r\n", "GET http://x/ HTTP/1.1"}) {
    SCOPED_TRACE(head);
    EXPECT_EQ(ExamineFirstRequestLine(head).action, FirstRequestLine::Action::kPass);
  }
}

TEST(ExamineFirstRequestLine, AsteriskIsAnsweredHere) {
  FirstRequestLine options = ExamineFirstRequestLine("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_EQ(options.action, FirstRequestLine::Action::kAnswer);
  EXPECT_EQ(options.answer.rfind("HTTP/1.1 405 Method Not Allowed\r\n", 0), 0u);
  EXPECT_NE(options.answer.find("\r\nAllow: GET, HEAD\r\n"), std::string::npos);
  EXPECT_NE(options.answer.find("\r\nConnection: close\r\n"), std::string::npos);
  const std::string body = options.answer.substr(options.answer.find("\r\n\r\n") + 4);
  EXPECT_NE(options.answer.find("Content-Length: " + std::to_string(body.size()) + "\r\n"),
            std::string::npos);
  FirstRequestLine get = ExamineFirstRequestLine("GET * HTTP/1.1\n\n");
  ASSERT_EQ(get.action, FirstRequestLine::Action::kAnswer);
  EXPECT_EQ(get.answer.rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u);
}

TEST(ExamineFirstRequestLine, AbsoluteFormBecomesOriginForm) {
  struct Case {
    const char* head;
    const char* line;
  };
  for (const Case& c : {
           Case{"GET http://h:9717/metrics HTTP/1.1\r\nHost: h\r\n\r\n",
                "GET /metrics HTTP/1.1\r\n"},
           Case{"HEAD HTTPS://h/api/sandbox/stats?x=1 HTTP/1.1\r\n\r\n",
                "HEAD /api/sandbox/stats?x=1 HTTP/1.1\r\n"},
           Case{"GET http://h HTTP/1.0\n\n", "GET / HTTP/1.0\r\n"},
           Case{"GET http://h?q HTTP/1.1\r\n\r\n", "GET /?q HTTP/1.1\r\n"},
       }) {
    SCOPED_TRACE(c.head);
    FirstRequestLine r = ExamineFirstRequestLine(c.head);
    ASSERT_EQ(r.action, FirstRequestLine::Action::kRewrite);
    EXPECT_EQ(r.replacement, c.line);
    EXPECT_EQ(r.length, std::string_view(c.head).find('\n') + 1);
  }
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
