#include "logging/small_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace evonic::logging {

std::optional<std::string> ReadSmallFile(const std::string& path, std::string* error,
                                         std::size_t max_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    *error = path + ": cannot open: " + std::strerror(errno);
    return std::nullopt;
  }
  std::string text;
  char buf[16384];
  bool failed = false;
  int read_errno = 0;
  while (text.size() <= max_bytes) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      failed = true;
      read_errno = errno;
      break;
    }
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  if (failed) {
    *error = path + ": cannot read: " + std::strerror(read_errno);
    return std::nullopt;
  }
  if (text.size() > max_bytes) {
    const std::string limit = max_bytes % (1 << 20) == 0 ? std::to_string(max_bytes >> 20) + " MiB"
                                                         : std::to_string(max_bytes) + " bytes";
    *error = path + ": larger than " + limit + "; is this the right file?";
    return std::nullopt;
  }
  return text;
}

}  // namespace evonic::logging
