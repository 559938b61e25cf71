#include <fcntl.h>
#include <sys/eventfd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "exporter/web/connection_gate_loop.h"

namespace evonic::exporter {

using gate::kBufferBytes;
using gate::kLinger;
using gate::kLingerBytes;
using gate::kWaitEvents;
using gate::SteadyClock;

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

ssize_t ConnectionGate::Loop::Recv(Connection* c, bool client, char* data, std::size_t size) {
  if (!client) return recv(c->backend.get(), data, size, MSG_DONTWAIT);
  if (!c->tls) return recv(c->client.get(), data, size, MSG_DONTWAIT);
  if (!c->head.empty()) {
    const std::size_t n = std::min(size, c->head.size());
    std::copy_n(c->head.data(), n, data);
    c->head.erase(0, n);
    return static_cast<ssize_t>(n);
  }
  return c->tls->Recv(data, size);
}

ssize_t ConnectionGate::Loop::Send(Connection* c, bool client, const char* data, std::size_t size) {
  if (client && c->tls) return c->tls->Send(data, size);
  return send(client ? c->client.get() : c->backend.get(), data, size, MSG_NOSIGNAL | MSG_DONTWAIT);
}

void ConnectionGate::Loop::ShutWrite(Connection* c, bool client) {
  if (client && c->tls) c->tls->Close();
  shutdown(client ? c->client.get() : c->backend.get(), SHUT_WR);
}

ssize_t ConnectionGate::Loop::Read(Connection* c, bool from_client, Connection::Flow& flow) {
  if (!flow.requests) {
    ssize_t n = Recv(c, from_client, flow.buffer.get() + flow.end, kBufferBytes - flow.end);
    if (n > 0) flow.end += static_cast<std::size_t>(n);
    return n;
  }
  // The buffer is empty here (Move sends all before it reads); what is read goes in through the
  // request stream, which may add up to kMaxGrowth bytes (a held line, a rewritten target).
  const std::size_t room = std::min(peek_.size(), kBufferBytes - RequestStream::kMaxGrowth);
  const ssize_t n = Recv(c, from_client, peek_.data(), room);
  if (n < 0) return n;
  followed_.clear();
  if (n > 0) {
    flow.requests->Feed({peek_.data(), static_cast<std::size_t>(n)}, followed_);
  } else {
    flow.requests->Finish(followed_);
  }
  std::copy(followed_.begin(), followed_.end(), flow.buffer.get());
  flow.start = 0;
  flow.end = followed_.size();
  return n;
}

ConnectionGate::Loop::Moved ConnectionGate::Loop::Move(Connection* c, bool up) {
  auto retry = [] { return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR; };
  Connection::Flow& flow = up ? c->up : c->down;
  if (flow.dropped) return Moved::kOk;
  for (;;) {
    if (flow.Pending()) {
      ssize_t n = Send(c, !up, flow.buffer.get() + flow.start, flow.end - flow.start);
      if (n < 0) return retry() ? Moved::kOk : Moved::kDestinationFailed;
      flow.start += static_cast<std::size_t>(n);
      if (flow.start == flow.end) flow.start = flow.end = 0;
      continue;
    }
    if (flow.eof) break;
    const ssize_t n = Read(c, up, flow);
    if (n > 0) continue;
    if (n == 0) {
      flow.eof = true;
      continue;
    }
    if (retry()) break;
    return Moved::kSourceFailed;
  }
  if (flow.eof && !flow.Pending() && !flow.shut) {
    ShutWrite(c, !up);  // pass the half-close on: the other side may still answer
    flow.shut = true;
  }
  return Moved::kOk;
}

void ConnectionGate::Loop::Relay(Connection* c) {
  Moved up = Move(c, true);
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
  Moved down = Move(c, false);
  if (down == Moved::kSourceFailed) {
    // The backend reset the connection: what it sent before still goes to the client.
    c->down.eof = true;
    down = Move(c, false);
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
  c->tls.reset();  // its close_notify is sent; what the client still sends is dropped unread
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

}  // namespace evonic::exporter
