#include "exporter/web/connection_gate.h"

#include <fcntl.h>
#include <sys/eventfd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "exporter/web/connection_gate_loop.h"

namespace evonic::exporter {

using gate::AddressText;
using gate::ErrnoText;
using gate::kReservedFds;
using gate::NoDelay;
using gate::SteadyClock;

namespace gate {

std::string AddressText(const sockaddr_storage& sa) {
  char text[INET6_ADDRSTRLEN] = {};
  if (sa.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(sa).sin_addr, text, sizeof text);
  } else if (sa.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(sa).sin6_addr, text, sizeof text);
  }
  return text;
}

void NoDelay(int fd) {
  // Answers go out as headers then body; Nagle's algorithm would hold the second write back.
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

}  // namespace gate

bool ParseListenAddress(const std::string& text, sockaddr_storage* sa, socklen_t* len,
                        std::string* error) {
  std::size_t colon = text.rfind(':');
  if (colon == std::string::npos) {
    *error = "expected [host]:port";
    return false;
  }
  std::string host = text.substr(0, colon), port_text = text.substr(colon + 1);
  char* end = nullptr;
  long port = std::strtol(port_text.c_str(), &end, 10);
  if (port_text.empty() || *end != '\0' || port < 0 || port > 65535) {
    *error = "expected [host]:port with a port from 0 to 65535";
    return false;
  }
  *sa = {};
  if (!host.empty() && host.front() == '[') {
    if (host.size() < 2 || host.back() != ']') {
      *error = "expected [IPv6 address]:port";
      return false;
    }
    auto* in6 = reinterpret_cast<sockaddr_in6*>(sa);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(static_cast<std::uint16_t>(port));
    if (inet_pton(AF_INET6, host.substr(1, host.size() - 2).c_str(), &in6->sin6_addr) != 1) {
      *error = "'" + host + "' is not an IPv6 address";
      return false;
    }
    *len = sizeof(sockaddr_in6);
    return true;
  }
  auto* in4 = reinterpret_cast<sockaddr_in*>(sa);
  in4->sin_family = AF_INET;
  in4->sin_port = htons(static_cast<std::uint16_t>(port));
  in4->sin_addr.s_addr = htonl(INADDR_ANY);
  if (!host.empty() && inet_pton(AF_INET, host.c_str(), &in4->sin_addr) != 1) {
    *error = "'" + host + "' is not an IPv4 address (IPv6 goes in brackets)";
    return false;
  }
  *len = sizeof(sockaddr_in);
  return true;
}

std::string ClientKey(const std::string& address) {
  in6_addr a6{};
  if (inet_pton(AF_INET6, address.c_str(), &a6) != 1) return address;
  if (IN6_IS_ADDR_V4MAPPED(&a6)) {
    char text[INET_ADDRSTRLEN] = {};
    inet_ntop(AF_INET, &a6.s6_addr[12], text, sizeof text);
    return text;
  }
  std::memset(&a6.s6_addr[8], 0, 8);
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(AF_INET6, &a6, text, sizeof text);
  return std::string(text) + "/64";
}

ConnectionGate::ConnectionGate(const Options& options, logging::Logger& log)
    : options_(options), log_(log), tls_(options.tls) {}

std::unique_ptr<ConnectionGate> ConnectionGate::Start(const Options& options, logging::Logger& log,
                                                      std::string* error) {
  std::unique_ptr<ConnectionGate> gate(new ConnectionGate(options, log));
  Options& o = gate->options_;
  o.max_active = std::max(1, o.max_active);
  o.max_active_per_client = std::clamp(o.max_active_per_client, 1, o.max_active);
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur != RLIM_INFINITY) {
    // A waiting connection holds one descriptor, an active one three (two here, one in
    // CivetWeb); what is left after those, the reserve and the quarter the cgroupfs reader may
    // hold open (KeptFiles, cgroup_reader.h) bounds the waiting line.
    rlim_t used = kReservedFds + 3 * static_cast<rlim_t>(o.max_active) + files.rlim_cur / 4;
    rlim_t room = files.rlim_cur > used ? files.rlim_cur - used : 0;
    o.max_waiting = static_cast<int>(std::min<rlim_t>(static_cast<rlim_t>(o.max_waiting), room));
  }
  o.max_waiting_per_client = std::clamp(o.max_waiting_per_client, 0, o.max_waiting);

  sockaddr_storage sa{};
  socklen_t len = 0;
  if (!ParseListenAddress(o.listen_address, &sa, &len, error)) return nullptr;
  gate->listener_.reset(socket(sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  int one = 1;
  if (!gate->listener_.valid() ||
      setsockopt(gate->listener_.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      bind(gate->listener_.get(), reinterpret_cast<sockaddr*>(&sa), len) != 0 ||
      listen(gate->listener_.get(), SOMAXCONN) != 0) {
    *error = ErrnoText(errno);
    return nullptr;
  }
  sockaddr_storage bound{};
  socklen_t bound_len = sizeof bound;
  getsockname(gate->listener_.get(), reinterpret_cast<sockaddr*>(&bound), &bound_len);
  gate->port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6&>(bound).sin6_port
                                                  : reinterpret_cast<sockaddr_in&>(bound).sin_port);
  gate->wake_.reset(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!gate->wake_.valid()) {
    *error = ErrnoText(errno);
    return nullptr;
  }
  gate->thread_ = std::thread([g = gate.get()] { g->Run(); });
  return gate;
}

void ConnectionGate::Stop() {
  if (!thread_.joinable()) return;
  std::uint64_t one = 1;
  (void)!write(wake_.get(), &one, sizeof one);
  thread_.join();
}

ConnectionGate::~ConnectionGate() { Stop(); }

void ConnectionGate::Run() {
  UniqueFd epoll(epoll_create1(EPOLL_CLOEXEC));
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = nullptr;  // the listener
  epoll_ctl(epoll.get(), EPOLL_CTL_ADD, listener_.get(), &ev);
  ev.data.ptr = &wake_;
  epoll_ctl(epoll.get(), EPOLL_CTL_ADD, wake_.get(), &ev);
  Loop loop(*this, epoll.get());
  std::vector<epoll_event> events(64);
  for (;;) {
    int n = epoll_wait(epoll.get(), events.data(), static_cast<int>(events.size()),
                       loop.Timeout(SteadyClock::now()));
    if (n < 0 && errno != EINTR) {
      log_.Error("the connection gate stopped", {{"err", ErrnoText(errno)}});
      break;
    }
    bool stop = false;
    for (int i = 0; i < n; ++i) {
      void* tag = events[i].data.ptr;
      if (tag == nullptr) {
        loop.Accept();
      } else if (tag == &wake_) {
        stop = true;
      } else {
        loop.OnEvent(*static_cast<Connection::Side*>(tag), events[i].events);
      }
    }
    loop.Expire(SteadyClock::now());
    loop.EndBatch();
    if (stop) break;
  }
  loop.CloseAll();
  loop.EndBatch();
}

void ConnectionGate::Remember(int port, const std::string& address) {
  std::lock_guard<std::mutex> lock(mu_);
  clients_by_port_[port] = address;
}

void ConnectionGate::Forget(int port) {
  std::lock_guard<std::mutex> lock(mu_);
  clients_by_port_.erase(port);
}

std::optional<std::string> ConnectionGate::ClientOf(int port) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = clients_by_port_.find(port);
  if (it == clients_by_port_.end()) return std::nullopt;
  return it->second;
}

void ConnectionGate::SetTlsContext(std::shared_ptr<ssl_ctx_st> tls) {
  std::lock_guard<std::mutex> lock(mu_);
  tls_ = std::move(tls);
}

std::shared_ptr<ssl_ctx_st> ConnectionGate::TlsContext() const {
  std::lock_guard<std::mutex> lock(mu_);
  return tls_;
}

GateStats ConnectionGate::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

}  // namespace evonic::exporter
