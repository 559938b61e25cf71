// Closed-loop HTTP/1.1 latency probe for the macro benchmark: C connections on C threads, each
// sending GET requests back to back over one keep-alive connection to 127.0.0.1, timing every
// request from the first byte written to the last byte of the body read. Prints one JSON line:
// requests, errors, seconds, p50/p90/p99/p999/max in milliseconds.
//
// Why beside wrk: on answers of 13-64 KB wrk reported a p99 its own request count rules out
// (mean latency x requests > connections x duration), so the benchmark takes latency
// percentiles from here and throughput and CPU per request from wrk.
//
//   http_latency PORT PATH SECONDS CONNECTIONS [HEADER]...
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

class Socket {
 public:
  explicit Socket(int port) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) Close();
  }
  ~Socket() { Close(); }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  bool ok() const { return fd_ >= 0; }
  int fd() const { return fd_; }

 private:
  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }
  int fd_;
};

// One request and its whole answer (Content-Length framing only, as the exporter answers).
bool RoundTrip(const Socket& s, const std::string& request, std::string& buf) {
  for (std::size_t sent = 0; sent < request.size();) {
    ssize_t n = send(s.fd(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  buf.clear();
  std::size_t head_end = std::string::npos, total = 0;
  char chunk[65536];
  while (head_end == std::string::npos || buf.size() < total) {
    ssize_t n = recv(s.fd(), chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buf.append(chunk, static_cast<std::size_t>(n));
    if (head_end == std::string::npos) {
      head_end = buf.find("\r\n\r\n");
      if (head_end == std::string::npos) continue;
      if (buf.compare(0, 12, "HTTP/1.1 200") != 0) return false;
      std::size_t cl = buf.find("Content-Length: ");
      if (cl == std::string::npos || cl > head_end) return false;
      total = head_end + 4 + std::strtoull(buf.c_str() + cl + 16, nullptr, 10);
    }
  }
  return buf.size() == total;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s PORT PATH SECONDS CONNECTIONS [HEADER]...\n", argv[0]);
    return 2;
  }
  const int port = std::atoi(argv[1]);
  const std::string path = argv[2];
  const double seconds = std::atof(argv[3]);
  const int connections = std::atoi(argv[4]);
  std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (int i = 5; i < argc; ++i) request += std::string(argv[i]) + "\r\n";
  request += "\r\n";

  const auto end = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(seconds));
  std::vector<std::vector<double>> samples(connections);
  std::vector<int> errors(connections, 0);
  std::vector<std::thread> threads;
  for (int c = 0; c < connections; ++c) {
    threads.emplace_back([&, c] {
      std::string buf;
      auto socket = std::make_unique<Socket>(port);
      while (Clock::now() < end) {
        if (!socket->ok()) {
          ++errors[c];
          socket = std::make_unique<Socket>(port);
          continue;
        }
        const auto t0 = Clock::now();
        if (!RoundTrip(*socket, request, buf)) {
          ++errors[c];
          socket = std::make_unique<Socket>(port);  // the server may close an idle connection
          continue;
        }
        samples[c].push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      }
    });
  }
  for (auto& t : threads) t.join();
  std::vector<double> all;
  int error_count = 0;
  for (int c = 0; c < connections; ++c) {
    all.insert(all.end(), samples[c].begin(), samples[c].end());
    error_count += errors[c];
  }
  std::sort(all.begin(), all.end());
  auto pct = [&all](double p) {
    if (all.empty()) return 0.0;
    return all[std::min(all.size() - 1, static_cast<std::size_t>(p / 100 * all.size()))];
  };
  std::printf(
      "{\"requests\": %zu, \"errors\": %d, \"seconds\": %.3f, \"p50\": %.4f, \"p90\": %.4f, "
      "\"p99\": %.4f, \"p999\": %.4f, \"max\": %.4f}\n",
      all.size(), error_count, seconds, pct(50), pct(90), pct(99), pct(99.9),
      all.empty() ? 0.0 : all.back());
  return all.empty() ? 1 : 0;
}
