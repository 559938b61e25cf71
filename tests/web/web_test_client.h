#pragma once
// A minimal blocking HTTP/1.1 client over a raw TCP socket, for the web tests: it sends bytes
// exactly as given (no path cleaning, no body rules), so hostile requests can be sent too.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <string>

namespace evonic::exporter::testing {

/// The status line's code and the whole raw answer; status 0 when nothing came back.
struct RawAnswer {
  int status = 0;
  std::string text;
  std::string Body() const {
    std::size_t end = text.find("\r\n\r\n");
    return end == std::string::npos ? std::string() : text.substr(end + 4);
  }
};

/// An owned socket (RAII).
class Socket {
 public:
  explicit Socket(int port, int timeout_ms = 5000) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~Socket() {
    if (fd_ >= 0) close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  bool connected() const { return connected_; }

  bool Send(const std::string& bytes) {
    return send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(bytes.size());
  }
  /// Reads until the peer closes or the answer with its Content-Length is complete.
  RawAnswer Receive() {
    RawAnswer a;
    char buf[4096];
    for (;;) {
      ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) break;
      a.text.append(buf, static_cast<std::size_t>(n));
      std::size_t end = a.text.find("\r\n\r\n");
      if (end == std::string::npos) continue;
      std::size_t cl = a.text.find("Content-Length: ");
      if (cl != std::string::npos && cl < end &&
          a.text.size() >= end + 4 + std::stoul(a.text.substr(cl + 16))) {
        break;
      }
    }
    if (a.text.size() > 12 && a.text.compare(0, 5, "HTTP/") == 0) {
      a.status = std::stoi(a.text.substr(9, 3));
    }
    return a;
  }

 private:
  int fd_;
  bool connected_ = false;
};

inline RawAnswer RawRequest(int port, const std::string& bytes, int timeout_ms = 5000) {
  Socket s(port, timeout_ms);
  if (!s.connected() || !s.Send(bytes)) return {};
  return s.Receive();
}

inline RawAnswer Get(int port, const std::string& path, const std::string& extra_headers = "") {
  return RawRequest(port, "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" +
                              extra_headers + "\r\n");
}

}  // namespace evonic::exporter::testing
