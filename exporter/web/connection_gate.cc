#include "exporter/web/connection_gate.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <list>
#include <vector>

#include "exporter/web/first_request_line.h"

namespace evonic::exporter {

namespace {

using SteadyClock = std::chrono::steady_clock;

// Per direction and admitted connection; only admitted connections (max_active) have buffers.
constexpr std::size_t kBufferBytes = 16 * 1024;
// After the backend's answer, what a client still sends is read and dropped for this long before
// its socket closes, so that closing with unread bytes (a reset) cannot destroy the answer on its
// way (the lingering close of RFC 9112 9.6, as CivetWeb does it).
constexpr auto kLinger = std::chrono::milliseconds(1000);
constexpr std::size_t kLingerBytes = 1 << 20;
// Waiting and lingering clients: each arrival of bytes and the end. Relayed sockets: also room.
constexpr std::uint32_t kWaitEvents = EPOLLIN | EPOLLRDHUP | EPOLLET;
constexpr std::uint32_t kRelayEvents = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
// Descriptors kept free for everything else the exporter opens (engine connections, files).
constexpr rlim_t kReservedFds = 128;

std::string ErrnoText(int err) { return std::strerror(err); }

std::string AddressText(const sockaddr_storage& sa) {
  char text[INET6_ADDRSTRLEN] = {};
  if (sa.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(sa).sin_addr, text, sizeof text);
  } else if (sa.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(sa).sin6_addr, text, sizeof text);
  }
  return text;
}

}  // namespace

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

namespace {

void NoDelay(int fd) {
  // Answers go out as headers then body; Nagle's algorithm would hold the second write back.
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

}  // namespace

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

// One accepted connection: waiting (only `client` open) or active (relaying to `backend`).
struct ConnectionGate::Connection {
  struct Side {  // what an epoll event points to
    Connection* connection;
    bool client;
  };
  // Bytes read from one socket and not yet written to the other.
  struct Flow {
    std::unique_ptr<char[]> buffer;
    std::size_t start = 0, end = 0;
    bool eof = false;   // the source has no more to send
    bool shut = false;  // ... and all of it was passed on, then the destination's write side shut
    bool dropped = false;  // the destination stopped reading: nothing more is passed on
    bool Pending() const { return start < end; }
  };

  UniqueFd client, backend;
  std::string address, key;
  SteadyClock::time_point arrived;
  int backend_port = -1;
  bool waiting = false;
  bool ready = false;      // waiting with a whole request head (or, with TLS, a first byte)
  FirstRequestLine first;  // plain HTTP: what to do with the first request line
  bool active = false;
  bool lingering = false;  // answered; the backend is released, the client's rest is dropped
  bool closed = false;
  Flow up, down;  // client to backend, backend to client
  struct Registration {
    bool added = false;
    std::uint32_t events = 0;
  };
  Registration client_watch, backend_watch;
  Side client_side{this, true}, backend_side{this, false};
  std::list<Connection*>::iterator waiting_at;
  std::list<Connection*>::iterator lingering_at;
  SteadyClock::time_point linger_until;
  std::size_t lingered_bytes = 0;
};

// The relay's state; lives on the gate's thread only.
class ConnectionGate::Loop {
 public:
  Loop(ConnectionGate& gate, int epoll)
      : gate_(gate), epoll_(epoll), peek_(gate.options_.max_head_bytes + 1) {}

  void Accept();
  void OnEvent(Connection::Side& side, std::uint32_t events);
  void Expire(SteadyClock::time_point now);
  /// Milliseconds until the oldest waiting connection expires or a lingering one ends; -1 when
  /// there is none of either.
  int Timeout(SteadyClock::time_point now) const;
  void EndBatch() {
    graveyard_.clear();
    std::lock_guard<std::mutex> lock(gate_.mu_);
    gate_.stats_ = stats_;
  }
  void CloseAll() {
    stopping_ = true;
    while (!all_.empty()) Close(all_.begin()->first);
    graveyard_.clear();
  }

 private:
  struct Counts {
    int active = 0, waiting = 0;
  };
  void Admit(Connection* c);
  void AdmitWaiting();
  void OnWaiting(Connection* c, std::uint32_t events);
  /// True when what the client sent so far (peeked) makes it ready; false also when it hung up
  /// before that, which `gone` then says.
  bool LooksReady(Connection* c, bool* gone);
  void Close(Connection* c);
  void Relay(Connection* c);
  enum class Moved { kOk, kSourceFailed, kDestinationFailed };
  Moved Move(int from, int to, Connection::Flow& flow);
  void Linger(Connection* c);
  void StartLingering(Connection* c);
  void AnswerHere(Connection* c);
  void StopWaiting(Connection* c);
  void DropRest(Connection* c);
  void Watch(int fd, Connection::Side& side, Connection::Registration& watch, std::uint32_t wanted);
  void Refuse(const std::string& address, const char* reason, std::uint64_t* count);
  // A client with nothing active or waiting is not remembered (the map stays bounded).
  void ForgetIfIdle(const std::string& key) {
    auto it = counts_.find(key);
    if (it != counts_.end() && it->second.active == 0 && it->second.waiting == 0) counts_.erase(it);
  }
  // Within its share a client is admitted while a worker is free; beyond it only while more
  // than a whole share stays free for the others, so that one busy client (a benchmark, a
  // proxy) is not held back on an idle server.
  bool CanAdmit(const std::string& key) {
    const int free = gate_.options_.max_active - stats_.active;
    const int share = gate_.options_.max_active_per_client;
    return free > 0 && (counts_[key].active < share || free > share);
  }

  ConnectionGate& gate_;
  int epoll_;
  bool listening_ = true;  // false while accepting stopped for want of descriptors
  bool stopping_ = false;
  std::unordered_map<Connection*, std::unique_ptr<Connection>> all_;
  std::list<Connection*> waiting_;    // arrival order, so the front expires first
  std::list<Connection*> lingering_;  // in the order they began, so the front ends first
  std::unordered_map<std::string, Counts> counts_;
  std::vector<std::unique_ptr<Connection>> graveyard_;  // closed during this batch of events
  GateStats stats_;
  bool warned_ = false;
  bool backend_warned_ = false;
  std::vector<char> peek_;  // one buffer for looking at every waiting connection's head
};

void ConnectionGate::Loop::Refuse(const std::string& address, const char* reason,
                                  std::uint64_t* count) {
  ++*count;
  if (warned_) return;  // the counters (and metrics) tell the rest
  warned_ = true;
  gate_.log_.Warn(
      "too many connections: closing new ones unserved",
      {{"client", address},
       {"reason", reason},
       {"max_waiting", std::to_string(gate_.options_.max_waiting)},
       {"max_waiting_per_client", std::to_string(gate_.options_.max_waiting_per_client)}});
}

void ConnectionGate::Loop::Accept() {
  for (;;) {
    sockaddr_storage sa{};
    socklen_t len = sizeof sa;
    int fd = accept4(gate_.listener_.get(), reinterpret_cast<sockaddr*>(&sa), &len,
                     SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE) {
        // Nothing can be accepted until a connection closes; stop watching the listener
        // rather than spinning on it (new connections wait in the kernel's backlog).
        Refuse("", "out of file descriptors", &stats_.refused_capacity);
        listening_ = false;
        epoll_ctl(epoll_, EPOLL_CTL_DEL, gate_.listener_.get(), nullptr);
      }
      return;  // EAGAIN: all taken; anything else (ECONNABORTED...) concerns one connection
    }
    ++stats_.accepted;
    auto owned = std::make_unique<Connection>();
    Connection* c = owned.get();
    c->client.reset(fd);
    c->address = AddressText(sa);
    c->key = ClientKey(c->address);
    c->arrived = SteadyClock::now();
    Counts& counts = counts_[c->key];
    if (counts.waiting >= gate_.options_.max_waiting_per_client) {
      Refuse(c->address, "the client's waiting line is full", &stats_.refused_client_waiting);
      ForgetIfIdle(c->key);
      continue;
    }
    if (stats_.waiting >= gate_.options_.max_waiting) {
      Refuse(c->address, "every waiting place is taken", &stats_.refused_capacity);
      ForgetIfIdle(c->key);
      continue;
    }
    NoDelay(fd);
    all_.emplace(c, std::move(owned));
    // Unread while it waits; each arrival of bytes (edge-triggered) and its end are watched.
    ++counts.waiting;
    ++stats_.waiting;
    c->waiting = true;
    c->waiting_at = waiting_.insert(waiting_.end(), c);
    Watch(fd, c->client_side, c->client_watch, kWaitEvents);
    OnWaiting(c, 0);  // the request may have come with the connection
  }
}

bool ConnectionGate::Loop::LooksReady(Connection* c, bool* gone) {
  *gone = false;
  ssize_t n = recv(c->client.get(), peek_.data(), peek_.size(), MSG_PEEK | MSG_DONTWAIT);
  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
    *gone = true;
    return false;
  }
  if (n <= 0) return false;
  if (gate_.options_.ready_on_first_byte) return true;
  const std::size_t size = static_cast<std::size_t>(n);
  if (size > gate_.options_.max_head_bytes) return true;
  std::string_view head(peek_.data(), size);
  if (head.find("\r\n\r\n") == std::string_view::npos &&
      head.find("\n\n") == std::string_view::npos) {
    return false;
  }
  c->first = ExamineFirstRequestLine(head);
  return true;
}

void ConnectionGate::Loop::OnWaiting(Connection* c, std::uint32_t events) {
  bool gone = false;
  if (!c->ready) c->ready = LooksReady(c, &gone);
  if ((events & (EPOLLERR | EPOLLHUP)) != 0 || gone ||
      // Shut its write side before its head was whole: it can never become ready.
      (!c->ready && (events & EPOLLRDHUP) != 0)) {
    Close(c);
    return;
  }
  if (c->ready && c->first.action == FirstRequestLine::Action::kAnswer) {
    AnswerHere(c);
    return;
  }
  if (!c->ready || !CanAdmit(c->key)) return;
  StopWaiting(c);
  Admit(c);
}

void ConnectionGate::Loop::StopWaiting(Connection* c) {
  waiting_.erase(c->waiting_at);
  c->waiting = false;
  Counts& counts = counts_[c->key];
  --counts.waiting;
  --stats_.waiting;
  ForgetIfIdle(c->key);
}

void ConnectionGate::Loop::AnswerHere(Connection* c) {
  StopWaiting(c);
  const std::string& answer = c->first.answer;
  // A few hundred bytes into an empty send buffer: one send takes them.
  if (send(c->client.get(), answer.data(), answer.size(), MSG_NOSIGNAL | MSG_DONTWAIT) !=
      static_cast<ssize_t>(answer.size())) {
    Close(c);
    return;
  }
  shutdown(c->client.get(), SHUT_WR);
  StartLingering(c);
  DropRest(c);  // the request is still unread
}

void ConnectionGate::Loop::Admit(Connection* c) {
  UniqueFd backend(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<std::uint16_t>(gate_.options_.backend_port));
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sockaddr_in local{};
  socklen_t len = sizeof local;
  if (!backend.valid() ||
      (connect(backend.get(), reinterpret_cast<sockaddr*>(&to), sizeof to) != 0 &&
       errno != EINPROGRESS) ||
      getsockname(backend.get(), reinterpret_cast<sockaddr*>(&local), &len) != 0) {
    if (!backend_warned_) {  // the same cause would repeat for every connection
      backend_warned_ = true;
      gate_.log_.Error("cannot reach the HTTP workers", {{"err", ErrnoText(errno)}});
    }
    Close(c);
    return;
  }
  NoDelay(backend.get());
  c->backend = std::move(backend);
  c->backend_port = ntohs(local.sin_port);
  // Known before a byte reaches the backend, so a worker always finds its client.
  gate_.Remember(c->backend_port, c->address);
  c->active = true;
  ++counts_[c->key].active;
  ++stats_.active;
  c->up.buffer.reset(new char[kBufferBytes]);
  c->down.buffer.reset(new char[kBufferBytes]);
  if (c->first.action == FirstRequestLine::Action::kRewrite) {
    // The line in absolute-form (peeked, still unread) is taken out and its origin-form goes
    // first. It fits: a line is shorter than the head limit, and the head limit than a buffer.
    ssize_t n = recv(c->client.get(), c->up.buffer.get(), c->first.length, MSG_DONTWAIT);
    if (n != static_cast<ssize_t>(c->first.length) || c->first.replacement.size() > kBufferBytes) {
      Close(c);
      return;
    }
    std::copy(c->first.replacement.begin(), c->first.replacement.end(), c->up.buffer.get());
    c->up.end = c->first.replacement.size();
  }
  // Edge-triggered: Relay() always moves both ways until a socket would block, so every edge
  // (bytes in, room out, an end) is enough to make progress, and a hung-up socket cannot spin.
  Watch(c->client.get(), c->client_side, c->client_watch, kRelayEvents);
  Watch(c->backend.get(), c->backend_side, c->backend_watch, kRelayEvents);
}

void ConnectionGate::Loop::AdmitWaiting() {
  // The oldest waiting connection whose client is under its share goes first.
  for (auto it = waiting_.begin();
       it != waiting_.end() && stats_.active < gate_.options_.max_active;) {
    Connection* c = *it;
    if (!c->ready || !CanAdmit(c->key)) {
      ++it;
      continue;
    }
    ++it;
    StopWaiting(c);
    Admit(c);
  }
}

void ConnectionGate::Loop::Close(Connection* c) {
  if (c->closed) return;
  c->closed = true;
  Counts& counts = counts_[c->key];
  if (c->active) {
    gate_.Forget(c->backend_port);
    --counts.active;
    --stats_.active;
  } else if (c->lingering) {
    lingering_.erase(c->lingering_at);
  } else if (c->waiting) {
    waiting_.erase(c->waiting_at);
    --counts.waiting;
    --stats_.waiting;
  }
  ForgetIfIdle(c->key);
  c->client.reset();  // closing removes them from the epoll set
  c->backend.reset();
  auto it = all_.find(c);
  graveyard_.push_back(std::move(it->second));  // later events of this batch may still name it
  all_.erase(it);
  if (stopping_) return;
  if (!listening_) {
    listening_ = true;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = nullptr;  // the listener
    epoll_ctl(epoll_, EPOLL_CTL_ADD, gate_.listener_.get(), &ev);
  }
  if (c->active) AdmitWaiting();
}

void ConnectionGate::Loop::Watch(int fd, Connection::Side& side, Connection::Registration& watch,
                                 std::uint32_t wanted) {
  if (watch.added && watch.events == wanted) return;
  epoll_event ev{};
  ev.events = wanted;
  ev.data.ptr = &side;
  epoll_ctl(epoll_, watch.added ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev);
  watch.added = true;
  watch.events = wanted;
}

ConnectionGate::Loop::Moved ConnectionGate::Loop::Move(int from, int to, Connection::Flow& flow) {
  auto retry = [] { return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR; };
  if (flow.dropped) return Moved::kOk;
  for (;;) {
    if (flow.Pending()) {
      ssize_t n = send(to, flow.buffer.get() + flow.start, flow.end - flow.start,
                       MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0) return retry() ? Moved::kOk : Moved::kDestinationFailed;
      flow.start += static_cast<std::size_t>(n);
      if (flow.start == flow.end) flow.start = flow.end = 0;
      continue;
    }
    if (flow.eof) break;
    ssize_t n = recv(from, flow.buffer.get() + flow.end, kBufferBytes - flow.end, MSG_DONTWAIT);
    if (n > 0) {
      flow.end += static_cast<std::size_t>(n);
      continue;
    }
    if (n == 0) {
      flow.eof = true;
      continue;
    }
    if (retry()) break;
    return Moved::kSourceFailed;
  }
  if (flow.eof && !flow.Pending() && !flow.shut) {
    shutdown(to, SHUT_WR);  // pass the half-close on: the other side may still answer
    flow.shut = true;
  }
  return Moved::kOk;
}

void ConnectionGate::Loop::Relay(Connection* c) {
  Moved up = Move(c->client.get(), c->backend.get(), c->up);
  if (up == Moved::kSourceFailed) {
    Close(c);  // the client reset the connection
    return;
  }
  if (up == Moved::kDestinationFailed) {
    // The backend stopped reading (it refused the request and closed): its answer may still be
    // on its way, so the rest of the request is dropped rather than the connection.
    c->up.start = c->up.end = 0;
    c->up.dropped = true;
  }
  Moved down = Move(c->backend.get(), c->client.get(), c->down);
  if (down == Moved::kSourceFailed) {
    // The backend reset the connection: what it sent before still goes to the client.
    c->down.eof = true;
    down = Move(c->backend.get(), c->client.get(), c->down);
  }
  if (down != Moved::kOk) {
    Close(c);  // the client is gone
    return;
  }
  // Done when the backend has ended and all it sent was passed on: an HTTP server that closes
  // reads nothing more, and a client that never closes must not keep the slot.
  if (c->down.shut) Linger(c);
}

void ConnectionGate::Loop::Linger(Connection* c) {
  // A client that ended its side has nothing left that could make its socket close with a reset.
  if ((c->up.eof && !c->up.dropped) ||
      lingering_.size() >= static_cast<std::size_t>(gate_.options_.max_waiting)) {
    Close(c);  // nothing left to drop (or no room to do it)
    return;
  }
  gate_.Forget(c->backend_port);
  Counts& counts = counts_[c->key];
  --counts.active;
  --stats_.active;
  ForgetIfIdle(c->key);
  c->active = false;
  c->backend.reset();
  c->up.buffer.reset();
  c->down.buffer.reset();
  StartLingering(c);
  AdmitWaiting();
}

void ConnectionGate::Loop::StartLingering(Connection* c) {
  c->lingering = true;
  c->linger_until = SteadyClock::now() + kLinger;
  c->lingering_at = lingering_.insert(lingering_.end(), c);
  Watch(c->client.get(), c->client_side, c->client_watch, kWaitEvents);
}

void ConnectionGate::Loop::DropRest(Connection* c) {
  for (;;) {
    ssize_t n = recv(c->client.get(), peek_.data(), peek_.size(), MSG_DONTWAIT);
    if (n > 0) {
      c->lingered_bytes += static_cast<std::size_t>(n);
      if (c->lingered_bytes <= kLingerBytes) continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      return;
    }
    Close(c);  // the client ended, failed or sent too much
    return;
  }
}

void ConnectionGate::Loop::OnEvent(Connection::Side& side, std::uint32_t events) {
  Connection* c = side.connection;
  if (c->closed) return;
  if (c->lingering) {
    DropRest(c);
    return;
  }
  if (!c->active) {
    OnWaiting(c, events);
    return;
  }
  // A hang-up or reset shows in Relay as an end of bytes or an error, after the bytes that came
  // before it (a backend that refused a request and reset still has its answer passed on).
  Relay(c);
  if ((events & EPOLLERR) != 0 && c->active && !c->closed) Close(c);
}

void ConnectionGate::Loop::Expire(SteadyClock::time_point now) {
  while (!waiting_.empty() && waiting_.front()->arrived + gate_.options_.max_wait <= now) {
    ++stats_.expired;
    Close(waiting_.front());
  }
  while (!lingering_.empty() && lingering_.front()->linger_until <= now) Close(lingering_.front());
}

int ConnectionGate::Loop::Timeout(SteadyClock::time_point now) const {
  if (waiting_.empty() && lingering_.empty()) return -1;
  SteadyClock::time_point next = SteadyClock::time_point::max();
  if (!waiting_.empty()) next = waiting_.front()->arrived + gate_.options_.max_wait;
  if (!lingering_.empty()) next = std::min(next, lingering_.front()->linger_until);
  auto left = std::chrono::ceil<std::chrono::milliseconds>(next - now);
  return static_cast<int>(std::max<std::chrono::milliseconds::rep>(0, left.count()));
}

ConnectionGate::ConnectionGate(const Options& options, logging::Logger& log)
    : options_(options), log_(log) {}

std::unique_ptr<ConnectionGate> ConnectionGate::Start(const Options& options, logging::Logger& log,
                                                      std::string* error) {
  std::unique_ptr<ConnectionGate> gate(new ConnectionGate(options, log));
  Options& o = gate->options_;
  o.max_active = std::max(1, o.max_active);
  o.max_active_per_client = std::clamp(o.max_active_per_client, 1, o.max_active);
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur != RLIM_INFINITY) {
    // A waiting connection holds one descriptor, an active one three (two here, one in
    // CivetWeb); what is left after those and the reserve bounds the waiting line.
    rlim_t used = kReservedFds + 3 * static_cast<rlim_t>(o.max_active);
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

GateStats ConnectionGate::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

}  // namespace evonic::exporter
