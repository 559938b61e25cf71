#include "collectors/docker/stop_signal.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>

namespace evonic::collectors {

StopSignal::StopSignal() : fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

StopSignal::~StopSignal() {
  if (fd_ >= 0) close(fd_);
}

void StopSignal::Raise() {
  if (raised_.exchange(true)) return;
  if (fd_ >= 0) {
    const std::uint64_t one = 1;
    // Nothing to do if it fails: the flag is set, and the counter can only be full if raised.
    [[maybe_unused]] ssize_t n = write(fd_, &one, sizeof one);
  }
}

}  // namespace evonic::collectors
