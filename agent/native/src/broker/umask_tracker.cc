// The workload's umask as the broker knows it (umask_tracker.h).
#include "broker/umask_tracker.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "broker/decimal_name.h"
#include "broker/proc_status.h"

namespace zviz::broker {

void UmaskTracker::Start(int proc, long initial) {
  proc_ = proc;
  last_pid_.reset(proc >= 0 ? openat(proc, "sys/kernel/ns_last_pid", O_RDONLY | O_CLOEXEC) : -1);
  if (initial < 0 || !last_pid_) {
    state_ = State::kUnknown;
    return;
  }
  state_ = State::kUniform;
  uniform_ = static_cast<unsigned>(initial) & 0777;
}

long UmaskTracker::LastPid() const {
  char buf[24];
  ssize_t n;
  do {
    n = pread(last_pid_.get(), buf, sizeof(buf) - 1, 0);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) {
    return -1;
  }
  buf[n] = '\0';
  char* end = nullptr;
  const long value = std::strtol(buf, &end, 10);
  return end != buf && value >= 0 ? value : -1;
}

bool UmaskTracker::SingleThreaded(pid_t tid) const {
  TaskStatus status;
  const DecimalName name(tid, "/status");
  return ReadTaskStatus(proc_, name.c_str(), &status) && status.threads == 1;
}

UmaskTracker::Change UmaskTracker::Prepare(pid_t tid, unsigned long long mask) {
  Change change;
  change.tid = tid;
  change.mask = static_cast<unsigned>(mask & 0777);  // what the kernel keeps
  switch (state_) {
    case State::kUnknown:
      break;
    case State::kUniform:
      if (change.mask != uniform_) {
        // Read before the call takes effect: a task made up to now copied the old value.
        change.since = LastPid();
        change.alone = SingleThreaded(tid);
        change.to = change.since >= 0 ? Change::To::kOne : Change::To::kUnknown;
      }
      break;
    case State::kOne:
      if (tid != one_) {
        change.to = Change::To::kUnknown;  // it may share x's fs_struct, or not: who has what is not known
      } else if (change.mask == uniform_ && alone_ && LastPid() == since_) {
        // x restores the value every other task has; nothing was made since it
        // first changed it, and no other task shares it: once this call is
        // through, every task has it.
        change.to = Change::To::kUniform;
      } else {
        change.to = Change::To::kOne;
        change.since = since_;
        change.alone = alone_;
      }
      break;
  }
  return change;
}

void UmaskTracker::Commit(const Change& change) {
  switch (change.to) {
    case Change::To::kSame:
      break;
    case Change::To::kUniform:
      state_ = State::kUniform;
      break;
    case Change::To::kOne:
      state_ = State::kOne;
      one_ = change.tid;
      one_mask_ = change.mask;
      since_ = change.since;
      alone_ = change.alone;
      break;
    case Change::To::kUnknown:
      state_ = State::kUnknown;
      break;
  }
}

int UmaskTracker::Known(pid_t tid) {
  switch (state_) {
    case State::kUniform:
      return static_cast<int>(uniform_);
    case State::kOne:
      if (tid != one_ || LastPid() != since_) {
        return -1;
      }
      if (one_mask_ == uniform_) {
        // x is in a later call than the umask that restored the value, which
        // has taken effect for every task sharing its fs_struct; no task was
        // made meanwhile: every task has it.
        state_ = State::kUniform;
      }
      return static_cast<int>(one_mask_);
    case State::kUnknown:
      break;
  }
  return -1;
}

}  // namespace zviz::broker
