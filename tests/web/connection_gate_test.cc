// ConnectionGate in front of a small backend on 127.0.0.1: what reaches the backend, when, from
// whom, and what the clients get back.

#include "exporter/web/connection_gate.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "exporter/web/unique_fd.h"
#include "tests/support/captured_log.h"

namespace evonic::exporter {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

bool WaitFor(const std::function<bool()>& condition, milliseconds deadline = milliseconds(5000)) {
  const auto end = Clock::now() + deadline;
  while (Clock::now() < end) {
    if (condition()) return true;
    std::this_thread::sleep_for(milliseconds(5));
  }
  return condition();
}

// Accepts connections, reads each request head (or, with `until_eof`, everything), waits until
// released, then answers "<client the gate names>|<bytes of the head>" plus `padding` bytes.
class Backend {
 public:
  explicit Backend(std::size_t padding = 0) : padding_(padding) {
    listener_.reset(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    EXPECT_EQ(bind(listener_.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(listen(listener_.get(), 64), 0);
    getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    acceptor_ = std::thread([this] { Accept(); });
  }
  ~Backend() {
    Release();
    shutdown(listener_.get(), SHUT_RDWR);
    acceptor_.join();
    for (auto& t : workers_) t.join();
  }
  int port() const { return port_; }
  void set_gate(const ConnectionGate* gate) { gate_ = gate; }  // before the first connection
  void set_until_eof(bool v) { until_eof_ = v; }
  /// Answers after the first bytes and closes with the rest unread (the kernel sends a reset).
  void set_refuse_early(bool v) { refuse_early_ = v; }
  void Hold() {
    std::lock_guard<std::mutex> lock(mu_);
    held_ = true;
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    held_ = false;
    released_.notify_all();
  }
  int accepted() const { return accepted_; }
  int heads() const { return heads_; }
  int answered() const { return answered_; }

 private:
  void Accept() {
    for (;;) {
      sockaddr_in peer{};
      socklen_t len = sizeof peer;
      int fd = accept(listener_.get(), reinterpret_cast<sockaddr*>(&peer), &len);
      if (fd < 0) return;
      ++accepted_;
      workers_.emplace_back([this, fd, port = ntohs(peer.sin_port)] { Serve(UniqueFd(fd), port); });
    }
  }
  void Serve(UniqueFd fd, int peer_port) {
    std::string head;
    char buf[4096];
    for (;;) {
      if (!until_eof_ && head.find("\r\n\r\n") != std::string::npos) break;
      if (refuse_early_ && !head.empty()) {
        const std::string refusal = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
        send(fd.get(), refusal.data(), refusal.size(), MSG_NOSIGNAL);
        ++heads_;
        return;
      }
      ssize_t n = recv(fd.get(), buf, sizeof buf, 0);
      if (n <= 0) break;
      head.append(buf, static_cast<std::size_t>(n));
    }
    ++heads_;
    {
      std::unique_lock<std::mutex> lock(mu_);
      released_.wait(lock, [this] { return !held_; });
    }
    const ConnectionGate* gate = gate_;
    std::optional<std::string> client = gate != nullptr ? gate->ClientOf(peer_port) : std::nullopt;
    std::string answer = client.value_or("unknown") + "|" + std::to_string(head.size()) + "|" +
                         std::string(padding_, 'x');
    send(fd.get(), answer.data(), answer.size(), MSG_NOSIGNAL);
    ++answered_;
  }

  std::size_t padding_;
  UniqueFd listener_;
  int port_ = 0;
  std::atomic<const ConnectionGate*> gate_{nullptr};
  std::atomic<bool> until_eof_{false};
  std::atomic<bool> refuse_early_{false};
  std::atomic<int> accepted_{0}, heads_{0}, answered_{0};
  std::mutex mu_;
  std::condition_variable released_;
  bool held_ = false;
  std::thread acceptor_;
  std::vector<std::thread> workers_;  // only the acceptor adds; joined after it ends
};

UniqueFd Connect(int port, const char* from = "127.0.0.1") {
  UniqueFd s(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in local{};
  local.sin_family = AF_INET;
  inet_pton(AF_INET, from, &local.sin_addr);
  EXPECT_EQ(bind(s.get(), reinterpret_cast<sockaddr*>(&local), sizeof local), 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<std::uint16_t>(port));
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(connect(s.get(), reinterpret_cast<sockaddr*>(&to), sizeof to), 0);
  return s;
}

void Send(const UniqueFd& s, const std::string& text) {
  ASSERT_EQ(send(s.get(), text.data(), text.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(text.size()));
}

// Everything until the peer closes (or `deadline`): "" when closed without a byte.
std::string ReadAll(const UniqueFd& s, milliseconds deadline = milliseconds(5000)) {
  std::string out;
  const auto end = Clock::now() + deadline;
  char buf[65536];
  while (Clock::now() < end) {
    pollfd p{s.get(), POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    ssize_t n = recv(s.get(), buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

constexpr const char* kRequest = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";

class ConnectionGateTest : public ::testing::Test {
 protected:
  std::unique_ptr<ConnectionGate> Start(Backend& backend, ConnectionGate::Options o = {}) {
    o.listen_address = "127.0.0.1:0";
    o.backend_port = backend.port();
    std::string error;
    auto gate = ConnectionGate::Start(o, log_.logger(), &error);
    EXPECT_TRUE(gate) << error;
    backend.set_gate(gate.get());
    return gate;
  }
  test::CapturedLog log_;
};

TEST_F(ConnectionGateTest, RelaysBothWaysUnchangedAndNamesTheClient) {
  Backend backend(3 << 20);  // an answer far larger than the relay's buffers
  auto gate = Start(backend);
  UniqueFd c = Connect(gate->port(), "127.0.0.2");
  Send(c, kRequest);
  std::string answer = ReadAll(c);
  const std::string expected_prefix = "127.0.0.2|" + std::to_string(std::strlen(kRequest)) + "|";
  ASSERT_EQ(answer.substr(0, expected_prefix.size()), expected_prefix);
  EXPECT_EQ(answer.size(), expected_prefix.size() + (3u << 20));
  EXPECT_EQ(answer.find_first_not_of('x', expected_prefix.size()), std::string::npos);
  EXPECT_TRUE(WaitFor([&] { return gate->Stats().active == 0; }));
}

TEST_F(ConnectionGateTest, IdleAndTricklingConnectionsNeverReachTheBackend) {
  Backend backend;
  auto gate = Start(backend);
  std::vector<UniqueFd> hostile;
  for (int i = 0; i < 40; ++i) {
    hostile.push_back(Connect(gate->port()));
    if (i % 2) Send(hostile.back(), "GET /metrics HTTP/1.1\r\nHo");  // never finishes
  }
  ASSERT_TRUE(WaitFor([&] { return gate->Stats().waiting == 40; }));
  UniqueFd c = Connect(gate->port());  // the same address: idle neighbours do not block it
  Send(c, kRequest);
  EXPECT_EQ(ReadAll(c).substr(0, 10), "127.0.0.1|");
  EXPECT_EQ(backend.accepted(), 1);
  EXPECT_EQ(gate->Stats().waiting, 40);
}

TEST_F(ConnectionGateTest, OneClientHasItsShareAndTheOthersAreStillServed) {
  Backend backend;
  backend.Hold();
  ConnectionGate::Options o;
  o.max_active = 4;
  o.max_active_per_client = 2;
  auto gate = Start(backend, o);
  std::vector<UniqueFd> greedy;
  for (int i = 0; i < 5; ++i) {
    greedy.push_back(Connect(gate->port()));
    Send(greedy.back(), kRequest);
  }
  ASSERT_TRUE(WaitFor([&] { return backend.heads() == 2 && gate->Stats().waiting == 3; }));
  UniqueFd other = Connect(gate->port(), "127.0.0.2");
  Send(other, kRequest);
  ASSERT_TRUE(WaitFor([&] { return backend.heads() == 3; }));
  EXPECT_EQ(gate->Stats().active, 3);  // the greedy client's three others still wait
  backend.Release();
  EXPECT_EQ(ReadAll(other).substr(0, 10), "127.0.0.2|");
  for (auto& g : greedy) EXPECT_EQ(ReadAll(g).substr(0, 10), "127.0.0.1|");
  EXPECT_EQ(backend.heads(), 6);
}

TEST_F(ConnectionGateTest, BeyondItsShareAClientGetsOnlyWhatLeavesAShareFree) {
  Backend backend;
  backend.Hold();
  ConnectionGate::Options o;
  o.max_active = 8;
  o.max_active_per_client = 2;
  auto gate = Start(backend, o);
  std::vector<UniqueFd> busy;
  for (int i = 0; i < 10; ++i) {
    busy.push_back(Connect(gate->port()));
    Send(busy.back(), kRequest);
  }
  // Six of eight: its share and four more, while two (a share) stay free for everyone else.
  ASSERT_TRUE(WaitFor([&] { return backend.heads() == 6 && gate->Stats().waiting == 4; }));
  std::vector<UniqueFd> others;
  for (const char* from : {"127.0.0.2", "127.0.0.3"}) {
    others.push_back(Connect(gate->port(), from));
    Send(others.back(), kRequest);
  }
  ASSERT_TRUE(WaitFor([&] { return backend.heads() == 8; }));
  backend.Release();
  EXPECT_EQ(ReadAll(others[0]).substr(0, 10), "127.0.0.2|");
  EXPECT_EQ(ReadAll(others[1]).substr(0, 10), "127.0.0.3|");
  for (auto& b : busy) EXPECT_EQ(ReadAll(b).substr(0, 10), "127.0.0.1|");
}

TEST_F(ConnectionGateTest, AConnectionNotAdmittedInTimeIsClosedUnserved) {
  Backend backend;
  ConnectionGate::Options o;
  o.max_wait = milliseconds(200);
  auto gate = Start(backend, o);
  UniqueFd idle = Connect(gate->port());
  const auto t0 = Clock::now();
  EXPECT_EQ(ReadAll(idle), "");  // closed by the gate
  EXPECT_LT(Clock::now() - t0, milliseconds(3000));
  // The counts are published after the batch of events that closed it.
  EXPECT_TRUE(WaitFor([&] { return gate->Stats().expired == 1u; }));
  EXPECT_EQ(backend.accepted(), 0);
}

TEST_F(ConnectionGateTest, TheWaitingLineLeavesDescriptorsForTheRestOfTheExporter) {
  // A low limit (a container's or a unit's): the waiting line, the workers' connections, the
  // reserve and the quarter the cgroupfs reader may keep open (KeptFiles) must all fit in it.
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  rlimit low = saved;
  low.rlim_cur = 1024;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  Backend backend;
  ConnectionGate::Options o;
  o.max_active = 32;
  auto gate = Start(backend, o);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &saved), 0);
  const int waiting = gate->options().max_waiting;
  EXPECT_GT(waiting, 0);
  EXPECT_LE(waiting + 3 * 32 + 1024 / 4, 1024 - 100)
      << "too little left for engine connections and files";
}

TEST_F(ConnectionGateTest, WaitingLinesAreBoundedAndSaidOnce) {
  Backend backend;
  ConnectionGate::Options o;
  o.max_waiting_per_client = 3;
  auto gate = Start(backend, o);
  std::vector<UniqueFd> idle;
  for (int i = 0; i < 5; ++i) idle.push_back(Connect(gate->port()));
  ASSERT_TRUE(WaitFor([&] { return gate->Stats().refused_client_waiting == 2; }));
  EXPECT_EQ(gate->Stats().waiting, 3);
  EXPECT_EQ(ReadAll(idle[4], milliseconds(1000)), "");  // closed at once
  UniqueFd other = Connect(gate->port(), "127.0.0.2");  // another client still waits and is served
  Send(other, kRequest);
  EXPECT_EQ(ReadAll(other).substr(0, 10), "127.0.0.2|");
  EXPECT_EQ(log_.Count("too many connections"), 1);
}

TEST_F(ConnectionGateTest, AHalfCloseAfterTheRequestIsPassedOn) {
  Backend backend;
  backend.set_until_eof(true);  // answers only after the client's end of sending
  auto gate = Start(backend);
  UniqueFd c = Connect(gate->port());
  Send(c, kRequest);
  shutdown(c.get(), SHUT_WR);
  EXPECT_EQ(ReadAll(c), "127.0.0.1|" + std::to_string(std::strlen(kRequest)) + "|");
}

TEST_F(ConnectionGateTest, AnAnswerSentBeforeTheBackendResetsStillReachesTheClient) {
  // As CivetWeb refusing an oversized head: it answers 400 and closes with the rest unread.
  Backend backend;
  backend.set_refuse_early(true);
  auto gate = Start(backend);
  for (int i = 0; i < 50; ++i) {
    UniqueFd c = Connect(gate->port());
    Send(c, "GET /metrics HTTP/1.1\r\nX-Big: " + std::string(200000, 'b') + "\r\n\r\n");
    std::string answer = ReadAll(c);
    ASSERT_EQ(answer.substr(0, 12), "HTTP/1.1 400") << "try " << i;
  }
  EXPECT_TRUE(WaitFor([&] { return gate->Stats().active == 0; }));
}

TEST_F(ConnectionGateTest, StopClosesEverythingAndForgetsTheClients) {
  Backend backend;
  backend.Hold();
  auto gate = Start(backend);
  UniqueFd waiting = Connect(gate->port());
  UniqueFd active = Connect(gate->port());
  Send(active, kRequest);
  ASSERT_TRUE(WaitFor([&] { return backend.heads() == 1; }));
  gate->Stop();
  EXPECT_EQ(ReadAll(waiting, milliseconds(1000)), "");
  EXPECT_EQ(ReadAll(active, milliseconds(1000)), "");
  const GateStats s = gate->Stats();
  EXPECT_EQ(s.active + s.waiting, 0);
  for (int port = 1; port < 65536; port += 997) EXPECT_FALSE(gate->ClientOf(port));
  backend.Release();  // its worker asks the gate once more before the gate goes
  EXPECT_TRUE(WaitFor([&] { return backend.answered() == 1; }));
}

TEST_F(ConnectionGateTest, AnAddressInUseIsAClearError) {
  Backend backend;
  auto first = Start(backend);
  ConnectionGate::Options o;
  o.listen_address = "127.0.0.1:" + std::to_string(first->port());
  o.backend_port = backend.port();
  std::string error;
  EXPECT_FALSE(ConnectionGate::Start(o, log_.logger(), &error));
  EXPECT_NE(error.find("in use"), std::string::npos) << error;
}

}  // namespace
}  // namespace evonic::exporter
