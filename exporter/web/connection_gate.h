#pragma once
// The public listening socket. CivetWeb gives every connection a worker thread from accept until
// close, so idle and trickling clients from one address could hold all of them (issue G). The
// gate accepts every connection on one epoll thread, where a waiting connection costs a file
// descriptor and a few hundred bytes, and forwards at most a fair share of them to CivetWeb.

#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>

#include "exporter/web/unique_fd.h"
#include "logging/logger.h"
#include "model/connection_counts.h"

struct ssl_ctx_st;

namespace evonic::exporter {

/// What the gate has done since start; counts only grow, `active` and `waiting` are gauges.
using GateStats = model::ConnectionCounts;

/// The key connections are counted by: the IPv4 address, or the /64 prefix of an IPv6 address
/// (one host usually has a whole /64); IPv4-mapped IPv6 addresses count as their IPv4 address.
std::string ClientKey(const std::string& address);

/// Parses --web.listen-address ([host]:port, host an IP literal, IPv6 in brackets as Go's
/// net.SplitHostPort wants; an empty host means every IPv4 interface) into a socket address.
bool ParseListenAddress(const std::string& text, sockaddr_storage* address, socklen_t* length,
                        std::string* error);

/// \brief Accepts connections on the public address and relays each one to a backend on 127.0.0.1
/// once it is ready and admitted; with `tls`, the gate is the TLS server and the backend sees
/// plain HTTP.
///
/// Ready: its first request head is complete (plain: looked at in the kernel's buffer, not read;
/// TLS: handshaken and decrypted here, held until admitted). So idle clients and clients
/// trickling a request head never take a worker. Admitted: at most `max_active` at a time;
/// `max_active_per_client` is a client's (ClientKey) share: within it a client is admitted while a
/// worker is free, beyond it only while more than a share stays free for the others. The oldest
/// ready connection that may be admitted goes next. A connection not admitted within `max_wait`
/// of its arrival (its handshake included) is closed; a client's waiting line and the total are
/// bounded, beyond them a new connection is closed at once. Every request head on a connection,
/// the first and the kept-alive later ones, passes through a RequestStream (request_stream.h),
/// the rest of the bytes unchanged; a client's half-close (TLS: its close_notify or TCP end) is
/// passed on, and the connection ends when the backend's does (TLS: close_notify, then the TCP
/// end). A first byte on a TLS listener that cannot begin a handshake but can begin an HTTP
/// request is answered 400 in plain text, as Go's servers do.
///
/// The backend sees every connection as coming from 127.0.0.1; ClientOf() tells it the real
/// client from the port the connection came from. All public methods are thread-safe; the relay
/// (handshakes included) runs on the gate's own thread, which the destructor stops (open
/// connections are closed).
class ConnectionGate {
 public:
  struct Options {
    std::string listen_address;  // [host]:port; empty host: every IPv4 interface; port 0: any
    int backend_port = 0;        // on 127.0.0.1
    int max_active = 32;
    int max_active_per_client = 8;
    int max_waiting = 4096;  // lowered to what RLIMIT_NOFILE leaves room for (Start)
    int max_waiting_per_client = 1024;
    std::chrono::milliseconds max_wait{5000};
    std::shared_ptr<ssl_ctx_st> tls;    // MakeTlsServerContext (tls_context.h); null: plain
    std::size_t max_head_bytes = 8192;  // a longer head is ready too (the backend refuses it)
  };

  /// Binds and starts relaying; nullptr and `error` when the address cannot be bound.
  static std::unique_ptr<ConnectionGate> Start(const Options& options, logging::Logger& log,
                                               std::string* error);
  /// Stops relaying and closes every connection; afterwards ClientOf() finds none. The
  /// destructor calls it; calling it first lets the backend's workers finish while the gate
  /// object (and ClientOf) still exists.
  void Stop();
  ~ConnectionGate();
  ConnectionGate(const ConnectionGate&) = delete;
  ConnectionGate& operator=(const ConnectionGate&) = delete;

  /// The TLS context for connections whose first byte arrives from now on (a reload's renewed
  /// certificate); those already begun keep theirs. Only for a gate started with `tls`.
  void SetTlsContext(std::shared_ptr<ssl_ctx_st> tls);

  int port() const { return port_; }
  /// The effective limits (max_waiting after the fd limit).
  const Options& options() const { return options_; }
  /// The client address of the relayed connection that reaches the backend from local port
  /// `port`; nullopt when none does (a connection made to the backend directly).
  std::optional<std::string> ClientOf(int port) const;
  GateStats Stats() const;

 private:
  struct Connection;
  class Loop;
  ConnectionGate(const Options& options, logging::Logger& log);
  void Run();
  void Remember(int port, const std::string& address);
  void Forget(int port);
  std::shared_ptr<ssl_ctx_st> TlsContext() const;

  Options options_;
  logging::Logger& log_;
  UniqueFd listener_;
  UniqueFd wake_;  // eventfd: the destructor's stop signal
  int port_ = 0;
  mutable std::mutex mu_;
  std::unordered_map<int, std::string> clients_by_port_;  // guarded by mu_
  GateStats stats_;                                       // guarded by mu_
  std::shared_ptr<ssl_ctx_st> tls_;                       // guarded by mu_
  std::thread thread_;
};

}  // namespace evonic::exporter
