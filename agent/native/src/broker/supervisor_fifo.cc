// Opens of a FIFO that wait for the other end (docs/security.md, "Emulated
// opens"). Each waits in a worker thread of its own, so the supervisor keeps
// answering; there are at most kMaxFifoWaits per container (beyond, the open
// is refused with EAGAIN and counted as a deny), and a wait whose opener is
// gone (killed: its notification is no longer valid) is cancelled within
// kFifoSweepMs by a signal that interrupts the worker's open. The supervisor
// joins every worker: none outlives its wait, none outlives the container.
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>

#include "broker/host_proc.h"
#include "broker/metrics.h"
#include "broker/notif_answer.h"
#include "broker/supervisor.h"
#include "broker/supervisor_fifo.h"

namespace zviz::broker {
namespace {

// FIFO opens waiting for their other end, per container, and how often the
// supervisor looks for waits whose opener is gone.
constexpr size_t kMaxFifoWaits = 32;
constexpr int kFifoSweepMs = 100;

}  // namespace

void Supervisor::SpawnFifoWorker(const struct seccomp_notif& req, uint16_t syscall, Answer answer, uint64_t t0) {
  size_t waiting = 0;
  {
    std::lock_guard<std::mutex> lock(workers_mu_);
    for (const auto& [id, worker] : workers_) {
      waiting += worker->done.load(std::memory_order_acquire) ? 0 : 1;
    }
  }
  if (waiting >= kMaxFifoWaits) {
    answer.fd.reset();
    answer.how = Answer::How::kErrno;
    answer.error = EAGAIN;
    answer.decision = Decision::kDeny;
    answer.note = "too many FIFO opens of this container wait for their other end (" +
                  std::to_string(kMaxFifoWaits) + ")";
    Deliver(req, syscall, answer, t0);
    return;
  }
  auto worker = std::make_unique<FifoWorker>();
  worker->self = this;
  worker->req = req;
  worker->syscall = syscall;
  worker->t0 = t0;
  worker->listener.reset(fcntl(listener_.get(), F_DUPFD_CLOEXEC, 3));
  worker->answer = std::move(answer);
  if (!worker->listener || !workers_done_) {
    BrokerMetrics::Get().Error();
    SendResponse(listener_.get(), req.id, 0, -ENOMEM, 0);
    BrokerMetrics::Get().InflightAdd(-1);
    return;
  }
  FifoWorker* raw = worker.get();
  std::lock_guard<std::mutex> lock(workers_mu_);
  // This thread's signal mask (only the wake signal open) is the worker's too.
  const int rc = pthread_create(
      &raw->thread, nullptr,
      [](void* arg) -> void* {
        auto* w = static_cast<FifoWorker*>(arg);
        w->self->RunFifoWork(*w);
        return nullptr;
      },
      raw);
  if (rc != 0) {
    BrokerMetrics::Get().Error();
    SendResponse(listener_.get(), req.id, 0, -EAGAIN, 0);
    BrokerMetrics::Get().InflightAdd(-1);
    return;
  }
  workers_[req.id] = std::move(worker);
}

void Supervisor::RunFifoWork(FifoWorker& w) {
  // Blocks until the FIFO's other end opens, or the wake signal interrupts
  // it (EINTR: no SA_RESTART) because the wait was cancelled.
  int fd = -1;
  int err = 0;
  while (!w.cancel.load(std::memory_order_acquire)) {
    fd = OpenEmulator::ReopenFifo(HostProc(), w.answer.fd.get(), w.answer.fifo_flags);
    if (fd >= 0 || (err = -fd) != EINTR) {
      break;
    }
  }
  w.answer.fd.reset();
  UniqueFd opened(fd >= 0 ? fd : -1);
  int rc = -ENOENT;
  const uint64_t sent = NowNs(CLOCK_MONOTONIC);  // as in Deliver: until the answer is handed to the kernel
  if (w.cancel.load(std::memory_order_acquire)) {
    // The opener is gone (or the container stops): nobody to answer.
  } else if (!opened) {
    w.answer.error = err;
    rc = SendResponse(w.listener.get(), w.req.id, 0, -err, 0);
  } else {
    const int installed = InstallFd(w.listener.get(), w.req.id, opened.get(), w.answer.cloexec);
    rc = installed >= 0 ? 0 : installed;
  }
  BrokerMetrics::Get().InflightAdd(-1);
  if (rc == 0) {
    Record(w.req, w.syscall, w.answer, sent - w.t0);
  } else if (rc != -ENOENT) {
    BrokerMetrics::Get().Error();
  }
  w.listener.reset();
  w.done.store(true, std::memory_order_release);
  const uint64_t one = 1;
  (void)!write(workers_done_.get(), &one, sizeof(one));
}

bool Supervisor::TendFifoWorkers() {
  std::lock_guard<std::mutex> lock(workers_mu_);
  for (auto it = workers_.begin(); it != workers_.end();) {
    FifoWorker& w = *it->second;
    if (w.done.load(std::memory_order_acquire)) {
      pthread_join(w.thread, nullptr);
      it = workers_.erase(it);
      continue;
    }
    if (!w.cancel.load(std::memory_order_relaxed)) {
      Target target(listener_.get(), w.req.id, static_cast<pid_t>(w.req.pid));
      if (!target.Valid()) {
        w.cancel.store(true, std::memory_order_release);
      }
    }
    if (w.cancel.load(std::memory_order_relaxed)) {
      // Again at every sweep: a signal that came just before the worker entered open() was lost.
      pthread_kill(w.thread, WakeSignal());
    }
    ++it;
  }
  return !workers_.empty();
}

bool Supervisor::WaitWithFifoWorkers() {
  {
    std::lock_guard<std::mutex> lock(workers_mu_);
    if (workers_.empty()) {
      return true;  // block in RECV, as always
    }
  }
  struct pollfd p[2] = {{listener_.get(), POLLIN, 0}, {workers_done_.get(), POLLIN, 0}};
  const int ready = poll(p, 2, kFifoSweepMs);
  if (ready < 0) {
    return false;  // EINTR: the wake signal (Stop)
  }
  if (p[1].revents & POLLIN) {
    uint64_t count;
    (void)!read(workers_done_.get(), &count, sizeof(count));
  }
  TendFifoWorkers();
  // A notification waits, or the listener hung up (RECV then says so).
  return (p[0].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL)) != 0;
}

void Supervisor::StopFifoWorkers() {
  std::lock_guard<std::mutex> lock(workers_mu_);
  for (auto& [id, worker] : workers_) {
    worker->cancel.store(true, std::memory_order_release);
  }
  for (auto& [id, worker] : workers_) {
    while (!worker->done.load(std::memory_order_acquire)) {
      pthread_kill(worker->thread, WakeSignal());
      struct timespec ts = {0, 1'000'000};
      nanosleep(&ts, nullptr);
    }
    pthread_join(worker->thread, nullptr);
  }
  workers_.clear();
}

}  // namespace zviz::broker
