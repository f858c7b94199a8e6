// Opens of a FIFO that wait for the other end (docs/security.md, "Emulated
// opens"). Each waits in a worker thread of its own, so the supervisor keeps
// answering; there are at most kMaxFifoWaits per container (beyond, the open
// is refused with EAGAIN and counted as a deny), and a wait whose opener is
// gone (killed: its notification is no longer valid) is cancelled within
// kFifoSweepMs by a signal that interrupts the worker's open. The supervisor
// joins every worker: none outlives its wait, none outlives the container.
//
// A signal can take the opener out of its wait just as the worker's open
// meets the other end (without SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, or on
// kernels before 5.19). The kernel would have completed that open, and the
// other end may already have written and left; so the descriptor is kept,
// for at most kMetFifoKeepMs and while the opener's thread lives, and the
// restarted call (the same thread and registers, the same FIFO) is answered
// with it instead of waiting again.
//
// A worker that answers is never interrupted. ADDFD with SEND marks the
// notification answered before its opener takes the descriptor (so ID_VALID
// already says "not valid" while the opener waits for a CPU); if a signal
// interrupts the ADDFD meanwhile, the kernel withdraws the descriptor but
// not that mark, and the opener's call returns 0: its standard input, as if
// it were the FIFO (kernel/seccomp.c, seccomp_notify_addfd). So the cancel
// signal is blocked once the open has returned, and the sweep leaves an
// answering worker alone.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "broker/host_proc.h"
#include "broker/kernel.h"
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
// How long a FIFO that met its other end waits for its opener's restarted
// call (the opener's signal handler runs in between), and how many may wait.
constexpr uint64_t kMetFifoKeepMs = 2000;
constexpr size_t kMaxMetFifos = kMaxFifoWaits;

bool Ended(int pidfd) {
  struct pollfd p = {pidfd, POLLIN, 0};
  return poll(&p, 1, 0) != 0;  // readable once the thread has exited (or an error: treat as gone)
}

bool SameCall(const struct seccomp_data& a, const struct seccomp_data& b) {
  return a.nr == b.nr && a.arch == b.arch && a.instruction_pointer == b.instruction_pointer &&
         std::memcmp(a.args, b.args, sizeof(a.args)) == 0;
}

}  // namespace

UniqueFd Supervisor::TakeMetFifo(const struct seccomp_notif& req, dev_t dev, ino_t ino) {
  std::lock_guard<std::mutex> lock(workers_mu_);
  for (auto it = met_.begin(); it != met_.end(); ++it) {
    MetFifo& m = **it;
    if (m.tid == static_cast<pid_t>(req.pid) && m.dev == dev && m.ino == ino && SameCall(m.call, req.data) &&
        !Ended(m.task.get())) {
      // The pidfd pins the thread: while it lives, no other task has its id.
      UniqueFd fd = std::move(m.fd);
      met_.erase(it);
      return fd;
    }
  }
  return UniqueFd();
}

void Supervisor::DropEndedMetFifos(uint64_t now_ns) {
  // workers_mu_ held
  met_.erase(std::remove_if(met_.begin(), met_.end(),
                            [now_ns](const std::unique_ptr<MetFifo>& m) {
                              return now_ns >= m->expires_ns || Ended(m->task.get());
                            }),
             met_.end());
}

void Supervisor::AnswerMetFifo(int listener, const struct seccomp_notif& req, uint16_t syscall, Answer& answer,
                               UniqueFd fd, UniqueFd task, dev_t dev, ino_t ino, uint64_t t0) {
  const uint64_t sent = NowNs(CLOCK_MONOTONIC);  // as in Deliver: until the answer is handed to the kernel
  int rc = InstallFd(listener, req.id, fd.get(), answer.cloexec);
  if (rc >= 0) {
    rc = 0;
  } else if (rc == -EINPROGRESS || rc == -EINTR) {
    rc = AnswerInterruptedInstall(listener, req, rc, task ? task.get() : -1, answer);
  } else if (rc != -ENOENT) {
    // The workload's descriptor table refused it (EMFILE, ...): that is the open's result.
    answer.error = -rc;
    rc = SendResponse(listener, req.id, 0, rc, 0);
  } else if (task) {
    // The opener left the wait (a signal) after the open met the other end:
    // keep it for the restarted call. ADDFD with SEND installed nothing.
    auto met = std::make_unique<MetFifo>();
    met->task = std::move(task);
    met->tid = static_cast<pid_t>(req.pid);
    met->call = req.data;
    met->dev = dev;
    met->ino = ino;
    met->fd = std::move(fd);
    met->expires_ns = NowNs(CLOCK_MONOTONIC) + kMetFifoKeepMs * 1'000'000;
    std::lock_guard<std::mutex> lock(workers_mu_);
    if (met_.size() >= kMaxMetFifos) {
      met_.erase(met_.begin());
    }
    met_.push_back(std::move(met));
  }
  BrokerMetrics::Get().InflightAdd(-1);
  if (rc == 0) {
    Record(req, syscall, answer, sent - t0);
  } else if (rc != -ENOENT) {
    BrokerMetrics::Get().Error();
  }
}

void Supervisor::SpawnFifoWorker(const struct seccomp_notif& req, uint16_t syscall, Answer answer, uint64_t t0) {
  struct stat st = {};
  const bool known = fstat(answer.fd.get(), &st) == 0;
  if (known) {
    if (UniqueFd met = TakeMetFifo(req, st.st_dev, st.st_ino)) {
      answer.fd.reset();
      UniqueFd task(sys::PidfdOpen(static_cast<pid_t>(req.pid), PIDFD_THREAD));
      if (task && !Target(listener_.get(), req.id, static_cast<pid_t>(req.pid)).Valid()) {
        task.reset();  // interrupted again already; the id may name another task by now
      }
      if (!BeginInstall()) {
        BrokerMetrics::Get().InflightAdd(-1);  // Stop has begun: nothing given
        return;
      }
      AnswerMetFifo(listener_.get(), req, syscall, answer, std::move(met), std::move(task), st.st_dev, st.st_ino, t0);
      EndInstall();
      return;
    }
  }
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
  if (known) {
    // Named while the notification is valid (checked after): the pidfd is this opener's, not a reused id's.
    worker->task.reset(sys::PidfdOpen(static_cast<pid_t>(req.pid), PIDFD_THREAD));
    if (worker->task && !Target(listener_.get(), req.id, static_cast<pid_t>(req.pid)).Valid()) {
      worker->task.reset();
    }
    worker->dev = st.st_dev;
    worker->ino = st.st_ino;
  }
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
  sigset_t wake;
  sigemptyset(&wake);
  sigaddset(&wake, WakeSignal());
  pthread_sigmask(SIG_BLOCK, &wake, nullptr);  // until the thread ends (a signal sent now stays pending)
  w.answering.store(true, std::memory_order_release);
  UniqueFd opened(fd >= 0 ? fd : -1);
  if (opened) {
    // Met the other end. If the opener has left meanwhile (cancelled, or ADDFD
    // finds no waiting task), it is kept for the restarted call.
    AnswerMetFifo(w.listener.get(), w.req, w.syscall, w.answer, std::move(opened), std::move(w.task), w.dev, w.ino,
                  w.t0);
  } else if (w.cancel.load(std::memory_order_acquire)) {
    // The opener is gone (or the container stops): nobody to answer.
    BrokerMetrics::Get().InflightAdd(-1);
  } else {
    const uint64_t sent = NowNs(CLOCK_MONOTONIC);
    w.answer.error = err;
    const int rc = SendResponse(w.listener.get(), w.req.id, 0, -err, 0);
    BrokerMetrics::Get().InflightAdd(-1);
    if (rc == 0) {
      Record(w.req, w.syscall, w.answer, sent - w.t0);
    } else if (rc != -ENOENT) {
      BrokerMetrics::Get().Error();
    }
  }
  w.listener.reset();
  w.done.store(true, std::memory_order_release);
  const uint64_t one = 1;
  (void)!write(workers_done_.get(), &one, sizeof(one));
}

bool Supervisor::TendFifoWorkers() {
  std::lock_guard<std::mutex> lock(workers_mu_);
  DropEndedMetFifos(NowNs(CLOCK_MONOTONIC));
  for (auto it = workers_.begin(); it != workers_.end();) {
    FifoWorker& w = *it->second;
    if (w.done.load(std::memory_order_acquire)) {
      pthread_join(w.thread, nullptr);
      it = workers_.erase(it);
      continue;
    }
    if (w.answering.load(std::memory_order_acquire)) {
      // Its answer may be waiting for the opener to take it (ID_VALID then
      // says "not valid"): it ends by itself, as soon as the opener runs.
      ++it;
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
  return !workers_.empty() || !met_.empty();
}

bool Supervisor::WaitWithFifoWorkers() {
  {
    std::lock_guard<std::mutex> lock(workers_mu_);
    if (workers_.empty() && met_.empty()) {
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
  // The supervisor thread has ended: nobody adds workers now. They are
  // waited for without the lock, which a worker takes to keep a met FIFO.
  std::map<uint64_t, std::unique_ptr<FifoWorker>> workers;
  {
    std::lock_guard<std::mutex> lock(workers_mu_);
    workers.swap(workers_);
  }
  for (auto& [id, worker] : workers) {
    worker->cancel.store(true, std::memory_order_release);
  }
  for (auto& [id, worker] : workers) {
    while (!worker->done.load(std::memory_order_acquire)) {
      pthread_kill(worker->thread, WakeSignal());
      struct timespec ts = {0, 1'000'000};
      nanosleep(&ts, nullptr);
    }
    pthread_join(worker->thread, nullptr);
  }
  std::lock_guard<std::mutex> lock(workers_mu_);
  met_.clear();
}

}  // namespace zviz::broker
