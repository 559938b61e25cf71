#pragma once
// What the web server's connection gate did since start, as plain values for rendering.

#include <cstdint>

namespace evonic::model {

struct ConnectionCounts {
  std::uint64_t accepted = 0;
  std::uint64_t refused_client_waiting = 0;  // the client's own waiting line was full
  std::uint64_t refused_capacity = 0;        // every waiting place (or fd) was taken
  std::uint64_t expired = 0;                 // waited longer than the request timeout, unserved
  int active = 0;                            // handed to a worker now
  int waiting = 0;                           // accepted, not yet handed over
};

}  // namespace evonic::model
