#pragma once
// The connection gate's inside (connection_gate.h): one accepted connection and the loop that
// holds, admits and relays them. Only for connection_gate*.cc; all of it lives on the gate's own
// thread. connection_gate_admission.cc holds what decides who waits and who is handed over,
// connection_gate_relay.cc what moves bytes and closes.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <chrono>
#include <cstring>
#include <list>
#include <memory>
#include <string>
#include <vector>

#include "exporter/web/connection_gate.h"
#include "exporter/web/first_request_line.h"
#include "exporter/web/request_stream.h"
#include "exporter/web/tls_stream.h"

namespace evonic::exporter {

namespace gate {

using SteadyClock = std::chrono::steady_clock;

// Per direction and admitted connection; only admitted connections (max_active) have buffers.
inline constexpr std::size_t kBufferBytes = 16 * 1024;
// After the backend's answer, what a client still sends is read and dropped for this long before
// its socket closes, so that closing with unread bytes (a reset) cannot destroy the answer on its
// way (the lingering close of RFC 9112 9.6, as CivetWeb does it).
inline constexpr auto kLinger = std::chrono::milliseconds(1000);
inline constexpr std::size_t kLingerBytes = 1 << 20;
// Waiting and lingering clients: each arrival of bytes and the end. Relayed sockets, and waiting
// TLS clients (a handshake writes): also room.
inline constexpr std::uint32_t kWaitEvents = EPOLLIN | EPOLLRDHUP | EPOLLET;
inline constexpr std::uint32_t kRelayEvents = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
// The first byte of every TLS connection: a handshake record (RFC 8446 5.1).
inline constexpr char kTlsHandshakeRecord = 0x16;
// Descriptors kept free for everything else the exporter opens (engine connections, files).
inline constexpr rlim_t kReservedFds = 128;

inline std::string ErrnoText(int err) { return std::strerror(err); }

/// The numeric address of a peer ("127.0.0.1", "::1").
std::string AddressText(const sockaddr_storage& sa);

/// Sets TCP_NODELAY on a relayed socket.
void NoDelay(int fd);

}  // namespace gate

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
    // Client to backend: the requests are followed (request_stream.h).
    std::unique_ptr<RequestStream> requests;
    bool Pending() const { return start < end; }
  };

  UniqueFd client, backend;
  std::unique_ptr<TlsStream> tls;  // with TLS, from the client's first byte until it lingers
  std::string head;  // TLS: decrypted while waiting, not yet passed on (at most a head's limit)
  std::string address, key;
  gate::SteadyClock::time_point arrived;
  int backend_port = -1;
  bool waiting = false;
  bool ready = false;      // waiting with a whole request head
  FirstRequestLine first;  // what to do with the first request line
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
  gate::SteadyClock::time_point linger_until;
  std::size_t lingered_bytes = 0;
};

// The relay's state; lives on the gate's thread only.
class ConnectionGate::Loop {
 public:
  Loop(ConnectionGate& gate, int epoll)
      : gate_(gate), epoll_(epoll), peek_(gate.options_.max_head_bytes + 1) {}

  void Accept();
  void OnEvent(Connection::Side& side, std::uint32_t events);
  void Expire(gate::SteadyClock::time_point now);
  /// Milliseconds until the oldest waiting connection expires or a lingering one ends; -1 when
  /// there is none of either.
  int Timeout(gate::SteadyClock::time_point now) const;
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
  /// True when what the client sent so far (peeked; TLS: decrypted into `head`) makes it ready;
  /// false also when it hung up or failed before that, which `gone` then says.
  bool LooksReady(Connection* c, bool* gone);
  bool TlsLooksReady(Connection* c, bool* gone);
  /// Whether `head` (what a waiting client sent so far) makes it ready; sets `first` then.
  bool HeadReady(Connection* c, std::string_view head);
  std::uint32_t WaitEvents() const {
    return gate_.options_.tls ? gate::kWaitEvents | EPOLLOUT : gate::kWaitEvents;
  }
  void Close(Connection* c);
  void Relay(Connection* c);
  enum class Moved { kOk, kSourceFailed, kDestinationFailed };
  /// Passes bytes on, client to backend (`up`) or back, until a socket would block.
  Moved Move(Connection* c, bool up);
  /// recv() into an empty `flow` (through its request stream, if it has one); recv's result.
  ssize_t Read(Connection* c, bool from_client, Connection::Flow& flow);
  /// recv() and send() on one side of `c`; the client's through TLS when it has it, its `head`
  /// read first.
  ssize_t Recv(Connection* c, bool client, char* data, std::size_t size);
  ssize_t Send(Connection* c, bool client, const char* data, std::size_t size);
  /// Ends the sending side towards the client (TLS: close_notify first) or the backend.
  void ShutWrite(Connection* c, bool client);
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
  std::string followed_;    // what a RequestStream lets through, on its way into a buffer
};

}  // namespace evonic::exporter
