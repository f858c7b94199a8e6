// The JavaScript handle of one running workload: its first process (pid and
// pidfd: the container's init when it has a PID namespace, else the workload),
// its supervisor, and a reaper thread that reports the outcome of execve and,
// later, the workload's exit status (from the init's report when there is an
// init). The container manager in TypeScript owns the lifecycle; this object
// owns the kernel resources.
#pragma once

#include <napi.h>
#include <pthread.h>

#include <memory>
#include <mutex>

#include "broker/supervisor.h"
#include "common/unique_fd.h"

namespace zviz::broker {

/** Shared by the JS handle and the reaper thread, which may outlive each other. */
struct ProcessState {
  pid_t pid = -1;           // the first process: zviz-init with a PID namespace, else the workload
  pid_t workload_pid = -1;  // the workload, in the agent's PID namespace
  bool has_init = false;
  // Inode numbers of the namespaces the agent made for it (0: it shares the
  // agent's), so the control socket can tell a workload from a client.
  uint64_t pid_ns = 0;
  uint64_t mnt_ns = 0;
  UniqueFd pidfd;           // of the first process
  UniqueFd status;          // bootstrap socket: reports execve's outcome
  UniqueFd exit_report;     // with an init: the workload's status, from zviz-init
  std::mutex mu;    // guards `reaped`: a reaped pid may belong to someone else
  bool reaped = false;
};

struct ReaperEvent {
  enum class Kind { kExec, kExit } kind;
  int exec_error = 0;  // kExec: 0 ok, errno, or -1 (no answer)
  int32_t exec_step = 0;  // kExec with an errno: the step that failed (child::kStepExec: execve itself)
  int code = -1;       // kExit: exit code, or -1 when killed
  int signal = 0;      // kExit: terminating signal
};

struct SpawnJob;

/** Per-environment data of the addon. */
struct AddonData {
  Napi::FunctionReference container;
};

class NativeContainer : public Napi::ObjectWrap<NativeContainer> {
 public:
  static Napi::Function Define(Napi::Env env);
  /**
   * spawn(options, onEvent): starts a workload. Throws for bad options; else a
   * promise of the handle, rejected with the reason when the workload cannot
   * start. onEvent('exec'|'exit', details), called with the handle as `this`.
   */
  static Napi::Value Spawn(const Napi::CallbackInfo& info);
  /** Called on the main thread once the spawn thread started the workload (or failed to). */
  static void FinishSpawn(Napi::Env env, Napi::Function, void*, SpawnJob* job);
  using SpawnDone = Napi::TypedThreadSafeFunction<void, SpawnJob, &NativeContainer::FinishSpawn>;

  explicit NativeContainer(const Napi::CallbackInfo& info);
  ~NativeContainer() override;

  static void DeliverEvent(Napi::Env env, Napi::Function callback, Napi::Reference<Napi::Object>* self,
                           ReaperEvent* event);
  using Tsfn = Napi::TypedThreadSafeFunction<Napi::Reference<Napi::Object>, ReaperEvent, &NativeContainer::DeliverEvent>;

 private:

  Napi::Value Pid(const Napi::CallbackInfo& info);
  Napi::Value InitPid(const Napi::CallbackInfo& info);
  Napi::Value Namespaces(const Napi::CallbackInfo& info);
  Napi::Value Signal(const Napi::CallbackInfo& info);
  Napi::Value StopSupervisor(const Napi::CallbackInfo& info);
  Napi::Value Release(const Napi::CallbackInfo& info);
  Napi::Value Supervising(const Napi::CallbackInfo& info);
  Napi::Value Counts(const Napi::CallbackInfo& info);
  Napi::Value Refusals(const Napi::CallbackInfo& info);
  Napi::Value ExpectedRefusals(const Napi::CallbackInfo& info);
  Napi::Value SyncWakeUp(const Napi::CallbackInfo& info);

  std::shared_ptr<ProcessState> process_;
  std::unique_ptr<Supervisor> supervisor_;
  pthread_t reaper_{};
  bool reaper_started_ = false;
};

}  // namespace zviz::broker
