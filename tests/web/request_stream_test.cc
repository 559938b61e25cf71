// RequestStream: the later requests of a kept-alive plain-HTTP connection as the connection gate
// passes them to CivetWeb (issue G.8: CivetWeb closed the connection without an answer when a
// later request's target was `*` or in absolute-form).
#include "exporter/web/request_stream.h"

#include <gtest/gtest.h>

#include <string>

#include "exporter/web/first_request_line.h"

namespace evonic::exporter {
namespace {

// What the stream lets through of `input`, fed in pieces of `piece` bytes, then ended.
std::string Through(const std::string& input, std::size_t piece, bool in_head = false) {
  RequestStream stream(in_head);
  std::string out;
  for (std::size_t i = 0; i < input.size(); i += piece) {
    stream.Feed(std::string_view(input).substr(i, piece), out);
  }
  stream.Finish(out);
  return out;
}

const std::string kGet = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";

TEST(RequestStream, OriginFormRequestsPassUnchangedHoweverTheyArrive) {
  const std::string pipelined = kGet + "\r\n" + kGet + "GET /metrics?x=1 HTTP/1.1\nHost: y\n\n";
  for (std::size_t piece : {1, 2, 7, 64, 4096}) {
    EXPECT_EQ(Through(pipelined, piece), pipelined) << piece;
  }
}

TEST(RequestStream, LaterAbsoluteFormAndAsteriskTargetsAreRewritten) {
  const std::string input = kGet +
                            "GET http://127.0.0.1:9717/metrics?a=b HTTP/1.1\r\nHost: x\r\n\r\n" +
                            "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string expected = kGet + "GET /metrics?a=b HTTP/1.1\r\nHost: x\r\n\r\n" + "OPTIONS " +
                               kAsteriskTargetPath + " HTTP/1.1\r\nHost: x\r\n\r\n";
  for (std::size_t piece : {1, 3, 1000}) {
    EXPECT_EQ(Through(input, piece), expected) << piece;
  }
}

TEST(RequestStream, NothingAfterAnAsteriskRequestIsTouched) {
  // The server answers it and closes: what follows is not a request of this connection.
  const std::string input = "GET * HTTP/1.1\r\n\r\nGET http://x/metrics HTTP/1.1\r\n\r\n";
  EXPECT_EQ(Through(input, 5), std::string("GET ") + kAsteriskTargetPath +
                                   " HTTP/1.1\r\n\r\nGET http://x/metrics HTTP/1.1\r\n\r\n");
}

TEST(RequestStream, AfterAHeadWithABodyTheRestPassesAsItIs) {
  // The server refuses bodies and closes; a body is never read as requests.
  for (const std::string header :
       {"Content-Length: 5", "content-length:  7 ", "Transfer-Encoding: chunked"}) {
    const std::string input = "GET / HTTP/1.1\r\n" + header +
                              "\r\n\r\nOPTIONS * HTTP/1.1\r\nGET http://x/ HTTP/1.1\r\n\r\n";
    EXPECT_EQ(Through(input, 4), input) << header;
  }
  // Content-Length: 0 is no body: the next request is followed.
  const std::string zero =
      "GET / HTTP/1.1\r\nContent-Length: 0\r\n\r\nGET http://x/a HTTP/1.1\r\n\r\n";
  EXPECT_EQ(Through(zero, 4), "GET / HTTP/1.1\r\nContent-Length: 0\r\n\r\nGET /a HTTP/1.1\r\n\r\n");
}

TEST(RequestStream, TheFirstRequestLineCanBeTheGatesAlready) {
  // After a first line the gate rewrote itself, the stream starts inside that head.
  const std::string input = "Host: x\r\n\r\nGET http://x/b HTTP/1.1\r\n\r\n";
  EXPECT_EQ(Through(input, 3, /*in_head=*/true), "Host: x\r\n\r\nGET /b HTTP/1.1\r\n\r\n");
}

TEST(RequestStream, ALineLongerThanItHoldsPassesOnAndIsNotFollowed) {
  const std::string long_line =
      "GET /" + std::string(RequestStream::kMaxLine, 'a') + " HTTP/1.1\r\n\r\n";
  const std::string input = long_line + "GET http://x/c HTTP/1.1\r\n\r\n";
  for (std::size_t piece : {1, 100, 100000}) {
    EXPECT_EQ(Through(input, piece), input) << piece;
  }
}

TEST(RequestStream, APartialLineIsHeldUntilItEndsOrTheClientDoes) {
  RequestStream stream(false);
  std::string out;
  stream.Feed("OPTIONS *", out);
  EXPECT_EQ(out, "") << "held: its target may still need rewriting";
  stream.Feed(" HTTP/1.1\r\n", out);
  EXPECT_EQ(out, std::string("OPTIONS ") + kAsteriskTargetPath + " HTTP/1.1\r\n");
  RequestStream ended(false);
  std::string rest;
  ended.Feed("GET /hal", rest);
  ended.Finish(rest);
  EXPECT_EQ(rest, "GET /hal");
}

TEST(RequestStream, OutputGrowsByAtMostItsBound) {
  std::string worst;
  for (int i = 0; i < 200; ++i) worst += "GET http://x/ HTTP/1.1\r\n\r\nA * B\n";
  RequestStream stream(false);
  std::string out;
  std::size_t fed = 0;
  for (std::size_t i = 0; i < worst.size(); i += 37) {
    const std::string_view piece = std::string_view(worst).substr(i, 37);
    stream.Feed(piece, out);
    fed += piece.size();
    EXPECT_LE(out.size(), fed + RequestStream::kMaxGrowth);
  }
}

}  // namespace
}  // namespace evonic::exporter
