// An owned file descriptor: closed exactly once, when its owner goes away.
// Every fd the agent opens is O_CLOEXEC, so none leaks into a workload; this
// type only makes sure none leaks inside the agent either.
#pragma once

#include <unistd.h>

#include <utility>

namespace zviz {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      reset(other.release());
    }
    return *this;
  }
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  explicit operator bool() const { return valid(); }

  int release() { return std::exchange(fd_, -1); }

  void reset(int fd = -1) {
    int old = std::exchange(fd_, fd);
    if (old >= 0) {
      // close() may report EINTR, but the descriptor is gone on Linux either
      // way; retrying could close a descriptor another thread just got.
      ::close(old);
    }
  }

 private:
  int fd_ = -1;
};

/**
 * Closes two owned descriptors; with one close_range when their numbers are
 * adjacent (an emulated open's judged object and the file reopened from it
 * usually are), so the range holds exactly these two and nothing another
 * thread owns. A system call saved on every emulated open.
 */
inline void CloseTogether(UniqueFd& a, UniqueFd& b) {
  if (a && b && (a.get() + 1 == b.get() || b.get() + 1 == a.get())) {
    const int low = a.get() < b.get() ? a.get() : b.get();
    // Fails only before closing anything (no close_range: ENOSYS; EINVAL).
    if (::close_range(static_cast<unsigned>(low), static_cast<unsigned>(low + 1), 0) == 0) {
      a.release();
      b.release();
      return;
    }
  }
  a.reset();
  b.reset();
}

}  // namespace zviz
