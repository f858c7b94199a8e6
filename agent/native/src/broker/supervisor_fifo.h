// One FIFO open waiting for its other end (supervisor_fifo.cc), shared by
// the files of the supervisor that create, tend and destroy its worker; and
// one FIFO whose open met its other end after its opener had left the wait.
#pragma once

#include <linux/seccomp.h>
#include <pthread.h>
#include <sys/types.h>

#include <atomic>
#include <cstdint>

#include "broker/notif_answer.h"
#include "broker/supervisor.h"
#include "common/unique_fd.h"

namespace zviz::broker {

struct Supervisor::FifoWorker {
  Supervisor* self = nullptr;
  struct seccomp_notif req = {};
  uint16_t syscall = 0;
  uint64_t t0 = 0;
  UniqueFd listener;  // a duplicate, for answering from this thread
  Answer answer;
  pthread_t thread{};
  std::atomic<bool> cancel{false};
  // Its open has returned and it answers, with the cancel signal held off: no longer cancelled.
  std::atomic<bool> answering{false};
  std::atomic<bool> done{false};
  /** The opener (a pidfd of its thread, taken while its notification was valid), or none. */
  UniqueFd task;
  dev_t dev = 0;  // the FIFO
  ino_t ino = 0;
};

/**
 * A FIFO that met its other end just after a signal took its opener out of
 * the wait: the kernel would have completed that open, so the restarted call
 * (the same thread, the same registers, the same FIFO) is answered with it.
 */
struct Supervisor::MetFifo {
  UniqueFd task;  // dropped when this thread ends (the pidfd polls readable)
  pid_t tid = 0;
  struct seccomp_data call = {};
  dev_t dev = 0;
  ino_t ino = 0;
  UniqueFd fd;
  uint64_t expires_ns = 0;
};

}  // namespace zviz::broker
