// One FIFO open waiting for its other end (supervisor_fifo.cc), shared by
// the files of the supervisor that create, tend and destroy its worker.
#pragma once

#include <linux/seccomp.h>
#include <pthread.h>

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
  std::atomic<bool> done{false};
};

}  // namespace zviz::broker
