// How long a container's start may take (broker.start_timeout_seconds,
// docs/agent.md), and what enforces it.
//
// Every start runs on the one spawn thread (spawn_thread.h): a start that
// never finished held every later one. The spawn thread's waits on the
// bootstrap socket poll until the start's deadline; but between clone3 and
// the first process's execve of zviz-spawn (spawn_launch.h) the spawn thread
// is inside clone3 itself (CLONE_VFORK), and nothing it does can end that
// wait: a first process frozen in its cgroup, or reading zviz-spawn from a
// file system that does not answer, held it there for good. So a watchdog
// thread watches that part: at the deadline it kills the first process
// through the pidfd clone3 has already written (the kernel writes it before
// the child runs), the vfork wait ends, and the start fails as timed out.
#pragma once

#include <cstdint>
#include <string>

namespace zviz::broker {

/** When a start must have finished, on CLOCK_MONOTONIC. */
class StartDeadline {
 public:
  explicit StartDeadline(int timeout_ms);
  /** Milliseconds left (0 once passed), for poll(2). */
  int RemainingMs() const;
  bool Passed() const { return RemainingMs() == 0; }
  int timeout_ms() const { return timeout_ms_; }

 private:
  int timeout_ms_;
  int64_t at_ns_;
};

/**
 * While it lives, the watchdog kills the process whose pidfd clone3 writes to
 * `*pidfd_slot` once `deadline` passes. One at a time (there is one spawn
 * thread); its destructor returns only when the watchdog no longer looks at
 * the slot, so the pidfd may be closed after it.
 */
class LaunchWatch {
 public:
  LaunchWatch(const StartDeadline& deadline, const int* pidfd_slot);
  ~LaunchWatch();
  LaunchWatch(const LaunchWatch&) = delete;
  LaunchWatch& operator=(const LaunchWatch&) = delete;
  /** Whether the watchdog could not be started: the start must not go on unwatched. */
  const std::string& error() const { return error_; }
  /** Whether the watchdog killed the first process (valid after Disarm()). */
  bool fired() const { return fired_; }
  /** Stops watching now (the destructor does otherwise). */
  void Disarm();

 private:
  bool armed_ = false;
  bool fired_ = false;
  std::string error_;
};

/**
 * The message of a start that ran out of time while `waiting_for` (what the
 * spawn thread was waiting for, from StepName or the launch).
 */
std::string StartTimedOut(const StartDeadline& deadline, const std::string& waiting_for);

}  // namespace zviz::broker
