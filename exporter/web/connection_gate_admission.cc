#include <fcntl.h>
#include <sys/eventfd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "exporter/web/connection_gate_loop.h"

namespace evonic::exporter {

using gate::AddressText;
using gate::ErrnoText;
using gate::kBufferBytes;
using gate::kRelayEvents;
using gate::kTlsHandshakeRecord;
using gate::NoDelay;
using gate::SteadyClock;

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
    Watch(fd, c->client_side, c->client_watch, WaitEvents());
    OnWaiting(c, 0);  // the request may have come with the connection
  }
}

bool ConnectionGate::Loop::LooksReady(Connection* c, bool* gone) {
  *gone = false;
  if (gate_.options_.tls) return TlsLooksReady(c, gone);
  ssize_t n = recv(c->client.get(), peek_.data(), peek_.size(), MSG_PEEK | MSG_DONTWAIT);
  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
    *gone = true;
    return false;
  }
  if (n <= 0) return false;
  return HeadReady(c, std::string_view(peek_.data(), static_cast<std::size_t>(n)));
}

bool ConnectionGate::Loop::TlsLooksReady(Connection* c, bool* gone) {
  auto failed = [] { return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR; };
  if (!c->tls) {
    // Nothing is set up for a client that has sent nothing: an idle connection costs only its
    // descriptor, as with plain HTTP.
    ssize_t n = recv(c->client.get(), peek_.data(), 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0 || (n < 0 && failed())) {
      *gone = true;
      return false;
    }
    if (n < 0) return false;
    if (peek_[0] != kTlsHandshakeRecord) {
      if (peek_[0] < 'A' || peek_[0] > 'Z') {
        *gone = true;  // neither TLS nor an HTTP method
        return false;
      }
      // Plain HTTP to the TLS listener (a scrape config saying http): an answer that says so,
      // in plain text, as Go's servers (exporter-toolkit) give, rather than a silent close.
      c->first.action = FirstRequestLine::Action::kAnswer;
      c->first.answer =
          "HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n"
          "Connection: close\r\n\r\nClient sent an HTTP request to an HTTPS server.\n";
      return true;
    }
    // Each connection holds a reference to its context (SSL_new): a reload may replace it.
    c->tls = std::make_unique<TlsStream>(gate_.TlsContext().get(), c->client.get());
    if (!c->tls->valid()) {
      *gone = true;
      return false;
    }
  }
  // Read (the handshake first) until the socket would block: edge-triggered, nothing would
  // announce what is left. A head beyond the limit is ready (the backend refuses it).
  const std::size_t limit = gate_.options_.max_head_bytes + 1;
  bool ended = false;
  while (c->head.size() < limit) {
    ssize_t n = c->tls->Recv(peek_.data(), limit - c->head.size());
    if (n > 0) {
      c->head.append(peek_.data(), static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && !failed()) break;
    ended = true;  // the client's end (or a failed handshake)
    break;
  }
  if (HeadReady(c, c->head)) return true;
  *gone = ended;
  return false;
}

bool ConnectionGate::Loop::HeadReady(Connection* c, std::string_view head) {
  if (head.size() > gate_.options_.max_head_bytes) return true;
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
  if (Send(c, true, answer.data(), answer.size()) != static_cast<ssize_t>(answer.size())) {
    Close(c);
    return;
  }
  ShutWrite(c, true);
  c->tls.reset();  // what is left of the request is dropped unread
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
  c->up.requests =
      std::make_unique<RequestStream>(c->first.action == FirstRequestLine::Action::kRewrite);
  if (c->first.action == FirstRequestLine::Action::kRewrite) {
    // The line in absolute-form (still unread: peeked, or TLS's `head`) is taken out and its
    // origin-form goes first. It fits: a line is shorter than the head limit, and the head limit
    // than a buffer.
    ssize_t n = Recv(c, true, c->up.buffer.get(), c->first.length);
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
  c->tls.reset();
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

}  // namespace evonic::exporter
