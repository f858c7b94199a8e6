// One supervisor per workload: a native thread that blocks in
// SECCOMP_IOCTL_NOTIF_RECV on the workload's listener and answers every
// notification itself, by the profile (the reference program and the broker
// rules). Synchronous by design, which is what SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
// rewards: the workload's CPU hands over to this thread and back.
//
// The class is implemented in one file per concern:
// - supervisor.cc: the thread (start, stop, preparing it), the RECV loop and
//   the dispatch by the reference program and the broker rules;
// - supervisor_open.cc: open, openat, openat2 and creat (emulated opens);
// - supervisor_exec.cc: execve and execveat (judged, then CONTINUEd);
// - supervisor_connect.cc: every call that names a peer (rules on connect);
// - supervisor_fifo.cc: FIFO opens that wait for their other end;
// - supervisor_deliver.cc: the answer sent, and the decision counted and published.
//
// Threads and data:
// - The supervisor thread owns the listener and everything it reads while
//   answering; it shares only atomics (the counters here and in
//   BrokerMetrics) and the event queue (its own mutex).
// - The JS thread calls Start, Stop and the counters' readers. Stop sets
//   `stop_` and interrupts a blocking RECV with a thread-directed signal.
// - FIFO workers (opens that may block) answer one notification each on a
//   duplicate of the listener; `workers_mu_` guards their registry. The
//   supervisor thread starts them, cancels those whose opener is gone and
//   joins them; Stop cancels and joins what is left.
#pragma once

#include <linux/seccomp.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/types.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "broker/cbpf.h"
#include "broker/cpu_pacer.h"
#include "broker/events.h"
#include "broker/open_emulation.h"
#include "broker/policy.h"
#include "broker/reference_outcomes.h"
#include "broker/umask_tracker.h"
#include "common/unique_fd.h"

namespace zviz::broker {

struct Answer;  // notif_answer.h

/**
 * A refusal the program is known to recover from by itself (a library that
 * falls back to another call); counted apart so the run's summary can say it
 * apart from refusals a user should look at. Only the summary differs: the
 * decision is counted, published and audited as any other.
 */
struct ExpectedRefusal {
  uint16_t syscall = 0;  // SyscallTable index
  int errno_value = 0;   // 0: any errno (and kills, traps)
  std::string address;   // connect: the exact address as events show it ("unix:/run/nscd/socket"); empty: any
};

struct SupervisorOptions {
  std::shared_ptr<const ContainerLabel> label;
  std::shared_ptr<const Policy> policy;
  std::shared_ptr<const BpfProgram> reference;
  /** Also emit events for allow and emulate decisions (the default: only log, deny, kill). */
  bool events_all = false;
  /** Capabilities the workload has; the supervisor thread wears exactly these while it opens files for it. */
  uint64_t capabilities = 0;
  /** Ask for SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (when the kernel has it). */
  bool sync_wake_up = true;
  /** The workload's mount namespace: the supervisor thread joins it to resolve paths as the workload sees them. */
  std::shared_ptr<UniqueFd> mount_ns;
  /**
   * The inode of the workload's own user namespace, made at its start: a
   * task in any other (one it made or joined) is served with no capability
   * (supervisor_open.cc). 0: none recorded, so every task is served so.
   */
  uint64_t user_ns = 0;
  std::vector<ExpectedRefusal> expected_refusals;
  /** The container's device list: device nodes the broker may open for the workload (devices.h). */
  std::shared_ptr<const DeviceList> devices;
  /** The container's CPU limit in CPUs (0: none): the thread's own CPU time is held to it (cpu_pacer.h). */
  double cpu_limit = 0;
  /**
   * The workload's first process, in the agent's PID namespace, still waiting
   * for its first answer: its umask is every task's until a umask call is
   * answered (umask_tracker.h). -1: not known.
   */
  pid_t workload_pid = -1;
};

class Supervisor {
 public:
  Supervisor(UniqueFd listener, SupervisorOptions options);
  ~Supervisor();
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  /** Starts the thread; false with a reason when it cannot. */
  bool Start(std::string* error);
  /** Idempotent. Returns after the thread (and any FIFO worker) has finished; the listener is then closed. */
  void Stop();

  bool finished() const { return finished_.load(std::memory_order_acquire); }
  bool sync_wake_up_active() const { return sync_active_.load(std::memory_order_relaxed); }

  /** Decisions this workload received, by decision. */
  std::array<uint64_t, kDecisionCount> Counts() const;
  /** Refused syscalls by name, for the end-of-run summary, less the expected ones. */
  std::map<std::string, uint64_t> Refusals() const;
  /** Refusals that matched an ExpectedRefusal, by syscall name. */
  std::map<std::string, uint64_t> ExpectedRefusals() const;

  /** The signal that interrupts a blocking RECV; its handler does nothing. */
  static int WakeSignal();

 private:
  void Run();
  void PrepareThread();
  /**
   * Before the first RECV: what a container's first notifications would pay
   * for this thread's first use (its stack, the open steps' own state:
   * OpenEmulator::Warm), paid while the workload is still starting.
   */
  void WarmThread();
  /** Judges a notification by the reference program; what it brokers goes to HandleBrokered. */
  void Handle(const struct seccomp_notif& req, uint64_t t0);
  void HandleBrokered(const struct seccomp_notif& req, uint16_t syscall, uint64_t t0);
  void HandleOpen(const struct seccomp_notif& req, uint16_t syscall, Kind kind, uint64_t t0);
  /** The open's decision depends on the path: the broker resolves, judges and opens it itself. */
  void EmulateOpen(const struct seccomp_notif& req, uint16_t syscall, const Target& target, const OpenRequest& open,
                   Answer& answer, uint64_t t0);
  void HandleExec(const struct seccomp_notif& req, uint16_t syscall, Kind kind, uint64_t t0);
  /** connect, sendto/sendmsg/sendmmsg with an address, i386 socketcall: judged by the rules on connect. */
  void HandleConnect(const struct seccomp_notif& req, uint16_t syscall, Kind kind, uint64_t t0);
  void CountRefusal(BrokerRefusal refusal);
  void Deliver(const struct seccomp_notif& req, uint16_t syscall, Answer& answer, uint64_t t0);
  /**
   * InstallFd was interrupted (-EINPROGRESS: the kernel answered the call
   * with 0, so the task is killed, through `pidfd` when one is held; -EINTR:
   * nothing installed, the call is answered EINTR). Counted; the answer says
   * which. 0, or -errno as Deliver's `rc`.
   */
  int AnswerInterruptedInstall(int listener, const struct seccomp_notif& req, int installed, int pidfd, Answer& answer);
  struct FifoWorker;
  struct MetFifo;
  void SpawnFifoWorker(const struct seccomp_notif& req, uint16_t syscall, Answer answer, uint64_t t0);
  void RunFifoWork(FifoWorker& worker);
  /** Joins finished FIFO workers, cancels waits whose opener is gone; true while any remain. */
  bool TendFifoWorkers();
  /** Before each RECV: while FIFO workers exist, waits in poll (and tends them); false: do not RECV now. */
  bool WaitWithFifoWorkers();
  void StopFifoWorkers();
  /** Installs a FIFO descriptor that met its other end as the open's result; kept for the restart if the opener left. */
  void AnswerMetFifo(int listener, const struct seccomp_notif& req, uint16_t syscall, Answer& answer, UniqueFd fd,
                     UniqueFd task, dev_t dev, ino_t ino, uint64_t t0);
  /** The kept FIFO for this restarted open, or an invalid descriptor. */
  UniqueFd TakeMetFifo(const struct seccomp_notif& req, dev_t dev, ino_t ino);
  void DropEndedMetFifos(uint64_t now_ns);
  void Record(const struct seccomp_notif& req, uint16_t syscall, const Answer& answer, uint64_t latency_ns);
  /**
   * On the supervisor thread, before an ADDFD, which Stop's wake signal must
   * not interrupt (an interrupted ADDFD with SEND completes the call with 0;
   * supervisor_deliver.cc). False once Stop has begun: then nothing is
   * installed, and the listener's close fails the call (ENOSYS).
   */
  bool BeginInstall();
  void EndInstall() { installing_.store(false); }
  /** The step timer's latency and its split by kind (step_times.h); only when it is on. */
  void ObserveLatency(const Answer& answer, uint64_t latency_ns) const;

  UniqueFd listener_;
  SupervisorOptions options_;
  CpuPacer pacer_;  // supervisor thread only (after options_, which it is made from)
  std::unique_ptr<OpenEmulator> emulator_;
  // The filter lets no task leave the workload's user namespace (UserNamespaceIsFixed).
  bool user_ns_fixed_ = false;
  ReferenceOutcomes reference_{options_.reference};  // supervisor thread only
  UmaskTracker umask_;                               // supervisor thread only
  uint16_t umask_syscall_ = 0;                       // SyscallTable index of umask
  // For the step timer's split of the latency (step_times.h), supervisor thread only, kept only while it is on:
  uint64_t received_ = 0;       // notifications received
  uint64_t handled_ns_ = 0;     // when the last one's handling ended
  bool first_ = false;          // the one being handled is among the container's first
  bool cold_ = false;           // it found the thread idle for StepTimes::kColdAfterNs or more
  size_t resp_size_ = 0;
  size_t notif_size_ = 0;

  pthread_t thread_{};
  bool thread_started_ = false;  // JS thread only
  std::atomic<bool> stop_{false};
  std::atomic<bool> finished_{false};
  // The supervisor thread has an answer in ADDFD: Stop sends no wake signal meanwhile (BeginInstall).
  std::atomic<bool> installing_{false};
  std::atomic<bool> sync_active_{false};
  std::atomic<pid_t> thread_tid_{0};

  std::array<std::atomic<uint64_t>, kDecisionCount> counts_{};
  mutable std::mutex refusals_mu_;  // guards refusals_ and expected_ (written only on refusals)
  std::map<uint16_t, uint64_t> refusals_;
  std::map<uint16_t, uint64_t> expected_;

  std::mutex workers_mu_;  // guards workers_ (each worker's flags are atomics of its own)
  std::map<uint64_t, std::unique_ptr<FifoWorker>> workers_;  // by notification id
  std::vector<std::unique_ptr<MetFifo>> met_;  // guarded by workers_mu_; oldest first
  UniqueFd workers_done_{eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)};  // a worker finished: wakes the supervisor's poll
};

}  // namespace zviz::broker
