#include "broker/container.h"

#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "broker/devices.h"
#include "broker/filter.h"
#include "broker/host_proc.h"
#include "broker/kernel.h"
#include "broker/kernel_probe.h"
#include "broker/plan.h"
#include "broker/prepared_profile.h"
#include "broker/spawn.h"
#include "broker/spawn_bootstrap.h"
#include "broker/spawn_thread.h"
#include "broker/syscall_table.h"
#include "init/protocol.h"

namespace zviz::broker {
namespace {

struct Pending {
  std::shared_ptr<ProcessState> process;
  std::unique_ptr<Supervisor> supervisor;
};

struct ReaperArgs {
  std::shared_ptr<ProcessState> process;
  NativeContainer::Tsfn tsfn;
};

std::string GetString(const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  return v.IsString() ? v.As<Napi::String>().Utf8Value() : std::string();
}

std::vector<std::string> GetStrings(const Napi::Object& o, const char* key) {
  std::vector<std::string> out;
  Napi::Value v = o.Get(key);
  if (v.IsArray()) {
    Napi::Array a = v.As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); ++i) {
      Napi::Value item = a.Get(i);
      if (item.IsString()) {
        out.push_back(item.As<Napi::String>().Utf8Value());
      }
    }
  }
  return out;
}

/** `expectedRefusals: [{ syscall, errno?, address? }]` (see SpawnOptions in agent/src/native/broker-addon.ts). */
std::string ReadExpectedRefusals(const Napi::Object& o, std::vector<ExpectedRefusal>* out) {
  Napi::Value v = o.Get("expectedRefusals");
  if (v.IsUndefined()) {
    return {};
  }
  if (!v.IsArray()) return "expectedRefusals must be a list";
  Napi::Array list = v.As<Napi::Array>();
  for (uint32_t i = 0; i < list.Length(); ++i) {
    if (!list.Get(i).IsObject()) return "expectedRefusals: each entry must be an object";
    Napi::Object entry = list.Get(i).As<Napi::Object>();
    ExpectedRefusal e;
    const std::string name = GetString(entry, "syscall");
    e.syscall = SyscallTable::Get().IndexOf(name);
    if (e.syscall == SyscallTable::kUnknown) return "expectedRefusals: unknown syscall \"" + name + "\"";
    if (entry.Has("errno")) {
      if (!entry.Get("errno").IsNumber()) return "expectedRefusals: errno must be a number";
      e.errno_value = entry.Get("errno").As<Napi::Number>().Int32Value();
    }
    e.address = GetString(entry, "address");
    out->push_back(std::move(e));
  }
  return {};
}

/** The container's namespaces and file-system view (see SpawnOptions in agent/src/native/broker-addon.ts). */
std::string ReadIsolation(const Napi::Object& o, SpawnRequest* request) {
  const std::string pid = o.Has("pid") ? GetString(o, "pid") : "private";
  if (pid != "private" && pid != "host") return "pid must be \"private\" or \"host\"";
  request->pid_namespace = pid == "private";
  request->init_path = GetString(o, "initPath");
  request->spawner_path = GetString(o, "spawnerPath");
  const std::string network = o.Has("network") ? GetString(o, "network") : "host";
  if (network != "none" && network != "host") return "network must be \"none\" or \"host\"";
  request->network_none = network == "none";
  request->view_reads = o.Has("viewReads") && o.Get("viewReads").ToBoolean();
  if (request->view_reads && o.Has("viewReadDirs")) {
    request->view_read_dirs = GetStrings(o, "viewReadDirs");
    for (const std::string& dir : request->view_read_dirs) {
      if (dir.empty() || dir[0] != '/') return "viewReadDirs must hold absolute paths";
    }
  }
  if (o.Has("scopes") && !o.Get("scopes").IsUndefined()) {
    if (!o.Get("scopes").IsObject()) return "scopes must be an object";
    Napi::Object scopes = o.Get("scopes").As<Napi::Object>();
    request->scope_abstract_unix_sockets = scopes.Get("abstractUnixSockets").ToBoolean();
    request->scope_signals = scopes.Get("signals").ToBoolean();
  }
  if (!o.Get("filesystem").IsObject()) {
    return request->view_reads ? "viewReads needs filesystem.view \"allow-list\"" : std::string();
  }
  Napi::Object fs = o.Get("filesystem").As<Napi::Object>();
  const std::string view = fs.Has("view") ? GetString(fs, "view") : "host";
  if (view != "host" && view != "allow-list") return "filesystem.view must be \"host\" or \"allow-list\"";
  request->allow_list = view == "allow-list";
  if (request->view_reads && !request->allow_list) return "viewReads needs filesystem.view \"allow-list\"";
  Napi::Value mounts = fs.Get("mounts");
  if (!mounts.IsArray()) return "filesystem.mounts must be an array";
  Napi::Array list = mounts.As<Napi::Array>();
  for (uint32_t i = 0; i < list.Length(); ++i) {
    if (!list.Get(i).IsObject()) return "filesystem.mounts must hold objects";
    Napi::Object m = list.Get(i).As<Napi::Object>();
    const std::string kind = GetString(m, "kind");
    MountStep step;
    step.path = GetString(m, "path");
    if (kind == "readOnly") step.kind = MountStep::Kind::kReadOnly;
    else if (kind == "writable") step.kind = MountStep::Kind::kWritable;
    else if (kind == "tmpfs") step.kind = MountStep::Kind::kTmpfs;
    else if (kind == "mask") step.kind = MountStep::Kind::kMask;
    else if (kind == "pin") step.kind = MountStep::Kind::kPin;
    else return "filesystem.mounts: unknown kind " + kind;
    request->mounts.push_back(std::move(step));
  }
  return {};
}

void* Reap(void* raw) {
  std::unique_ptr<ReaperArgs> args(static_cast<ReaperArgs*>(raw));
  ProcessState& p = *args->process;
  // The outcome of execve first (the supervisor may have to answer it).
  auto* exec = new ReaperEvent{ReaperEvent::Kind::kExec};
  exec->exec_error = AwaitExec(p.status.get(), 30'000, &exec->exec_step);
  if (args->tsfn.BlockingCall(exec) != napi_ok) {
    delete exec;
  }
  p.status.reset();
  siginfo_t info = {};
  // Wait without reaping, then reap under the lock that signal() takes, so a
  // signal never reaches a recycled pid or process group.
  while (waitid(P_PIDFD, static_cast<id_t>(p.pidfd.get()), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR) {
  }
  {
    std::lock_guard<std::mutex> lock(p.mu);
    while (waitid(P_PIDFD, static_cast<id_t>(p.pidfd.get()), &info, WEXITED) != 0 && errno == EINTR) {
    }
    p.reaped = true;
  }
  auto* exit = new ReaperEvent{ReaperEvent::Kind::kExit};
  if (info.si_code == CLD_EXITED) {
    exit->code = info.si_status;
  } else {
    exit->signal = info.si_status;
  }
  // The init's own status says how the init ended; the container's status is
  // the workload's, which the init sent just before it exited. No report: the
  // init was killed (SIGKILL from the agent or the cgroup), and the whole
  // namespace with it, the workload included.
  if (p.exit_report) {
    struct zviz_init_report report = {};
    ssize_t n;
    do {
      n = recv(p.exit_report.get(), &report, sizeof(report), MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    if (n == sizeof(report) && report.magic == ZVIZ_INIT_REPORT_MAGIC) {
      exit->code = report.signal != 0 ? -1 : report.code;
      exit->signal = report.signal;
    }
    p.exit_report.reset();
  }
  if (args->tsfn.BlockingCall(exit) != napi_ok) {
    delete exit;
  }
  args->tsfn.Release();
  return nullptr;
}

}  // namespace

Napi::Function NativeContainer::Define(Napi::Env env) {
  return DefineClass(env, "NativeContainer",
                     {
                         InstanceAccessor<&NativeContainer::Pid>("pid"),
                         InstanceAccessor<&NativeContainer::InitPid>("initPid"),
                         InstanceAccessor<&NativeContainer::Namespaces>("namespaces"),
                         InstanceAccessor<&NativeContainer::SyncWakeUp>("syncWakeUp"),
                         InstanceMethod<&NativeContainer::Signal>("signal"),
                         InstanceMethod<&NativeContainer::StopSupervisor>("stopSupervisor"),
                         InstanceMethod<&NativeContainer::Release>("release"),
                         InstanceMethod<&NativeContainer::Supervising>("supervising"),
                         InstanceMethod<&NativeContainer::Counts>("counts"),
                         InstanceMethod<&NativeContainer::Refusals>("refusals"),
                         InstanceMethod<&NativeContainer::ExpectedRefusals>("expectedRefusals"),
                     });
}

NativeContainer::NativeContainer(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeContainer>(info) {
  if (info.Length() != 1 || !info[0].IsExternal()) {
    Napi::TypeError::New(info.Env(), "use spawn() to start a workload").ThrowAsJavaScriptException();
    return;
  }
  auto* pending = info[0].As<Napi::External<Pending>>().Data();
  process_ = std::move(pending->process);
  supervisor_ = std::move(pending->supervisor);
}

NativeContainer::~NativeContainer() {
  // Collected while the workload may still run: stopping the supervisor
  // closes the listener, so brokered syscalls fail (ENOSYS). Fail closed.
  if (supervisor_) {
    supervisor_->Stop();
  }
  if (reaper_started_) {
    pthread_detach(reaper_);  // it holds its own reference to the process state
  }
}

/** One spawn on its way: read on the main thread, started on the spawn thread, finished on the main thread. */
struct SpawnJob {
  explicit SpawnJob(Napi::Env env) : deferred(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise::Deferred deferred;
  Napi::FunctionReference on_event;
  SpawnRequest request;
  std::shared_ptr<const CompiledFilter> compiled;  // request.program points into it
  std::shared_ptr<const Policy> policy;
  std::shared_ptr<ContainerLabel> label;
  std::vector<ExpectedRefusal> expected;
  std::shared_ptr<DeviceList> devices;
  bool events_all = false;
  bool sync_wake_up = true;
  double cpus = 0;
  Spawned spawned;
  std::string error;
};

namespace {

void KillSpawned(Spawned* spawned) {
  if (!spawned->pidfd) {
    return;
  }
  sys::PidfdSendSignal(spawned->pidfd.get(), SIGKILL);
  siginfo_t si;
  while (waitid(P_PIDFD, static_cast<id_t>(spawned->pidfd.get()), &si, WEXITED) < 0 && errno == EINTR) {
  }
}

}  // namespace

Napi::Value NativeContainer::Spawn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto fail = [&env](const std::string& message) {
    Napi::Error::New(env, message).ThrowAsJavaScriptException();
    return env.Undefined();
  };
  if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsFunction()) {
    return fail("spawn(options, onEvent) expects an options object and a callback");
  }
  Napi::Object o = info[0].As<Napi::Object>();
  const KernelSupport& kernel = KernelFlags();
  if (!kernel.user_notif) {
    return fail("this kernel cannot run the sandbox: " + kernel.detail);
  }
  auto job = std::make_unique<SpawnJob>(env);

  // A prepared profile (prepared_profile.h) saves reading the filter and the policy again.
  if (o.Has("prepared") && !o.Get("prepared").IsUndefined()) {
    const PreparedProfile* prepared = PreparedProfileOf(env, o.Get("prepared"));
    if (prepared == nullptr) return fail("options.prepared is not a profile prepareProfile made");
    job->compiled = prepared->filter;
    job->policy = prepared->policy;
  } else {
    FilterPlan plan;
    if (!o.Get("filter").IsObject()) return fail("options.filter missing");
    if (auto e = ReadFilterPlan(o.Get("filter").As<Napi::Object>(), &plan); !e.empty()) return fail("filter: " + e);
    auto compiled = std::make_shared<CompiledFilter>();
    if (auto e = CompileFilter(plan, compiled.get()); !e.empty()) return fail("filter: " + e);
    job->compiled = std::move(compiled);
    if (!o.Get("policy").IsObject()) return fail("options.policy missing");
    if (auto e = ReadPolicy(o.Get("policy").As<Napi::Object>(), &job->policy); !e.empty()) return fail(e);
  }

  SpawnRequest& request = job->request;
  request.file = GetString(o, "file");
  request.argv = GetStrings(o, "argv");
  request.env = GetStrings(o, "env");
  request.cwd = GetString(o, "cwd");
  request.cgroup_v2 = GetString(o, "cgroupV2");
  request.cgroup_v2_fresh = o.Get("cgroupV2Fresh").ToBoolean().Value();
  request.cgroup_v1_procs = GetStrings(o, "cgroupV1Procs");
  if (auto e = ReadU64(o.Get("capabilities"), &request.capabilities); !e.empty()) return fail("capabilities: " + e);
  request.wait_killable_recv = kernel.wait_killable_recv && o.Get("waitKillableRecv").ToBoolean().Value();
  request.program = &job->compiled->enforcement;
  if (auto e = ReadIsolation(o, &request); !e.empty()) return fail(e);
  Napi::Value stdio = o.Get("stdio");
  if (!stdio.IsArray() || stdio.As<Napi::Array>().Length() != 3) return fail("stdio must list three descriptors");
  for (uint32_t i = 0; i < 3; ++i) {
    request.stdio[i] = stdio.As<Napi::Array>().Get(i).As<Napi::Number>().Int32Value();
  }
  if (request.file.empty() || request.file[0] != '/') return fail("file must be an absolute path");

  job->label = std::make_shared<ContainerLabel>();
  job->label->id = GetString(o, "containerId");
  job->label->profile = GetString(o, "profile");

  // Read before anything is spawned: a bad option must not leave a workload behind.
  if (auto e = ReadExpectedRefusals(o, &job->expected); !e.empty()) return fail(e);
  // No list, no device: the broker opens no device node for the workload.
  job->devices = std::make_shared<DeviceList>();
  if (auto e = DeviceList::Parse(GetStrings(o, "devices"), job->devices.get()); !e.empty()) return fail(e);
  job->events_all = o.Get("eventsAll").ToBoolean().Value();
  job->sync_wake_up = !o.Has("syncWakeUp") || o.Get("syncWakeUp").ToBoolean().Value();
  if (o.Has("cpus") && !o.Get("cpus").IsUndefined()) {
    if (!o.Get("cpus").IsNumber() || !(o.Get("cpus").ToNumber().DoubleValue() >= 0)) {
      return fail("cpus must be a number, 0 or more");
    }
    job->cpus = o.Get("cpus").ToNumber().DoubleValue();
  }
  if (o.Has("startTimeoutMs") && !o.Get("startTimeoutMs").IsUndefined()) {
    const double ms = o.Get("startTimeoutMs").IsNumber() ? o.Get("startTimeoutMs").ToNumber().DoubleValue() : -1;
    if (!(ms >= 1 && ms <= 3'600'000)) {
      return fail("startTimeoutMs must be a number of milliseconds from 1 to 3600000");
    }
    request.timeout_ms = static_cast<int>(ms);
  }
  // Here, before any workload of this process runs: the programs the start
  // executes are copied from their files at most once (sealed_program.h).
  if (auto e = SealStartPrograms(request); !e.empty()) return fail(e);
  job->on_event = Napi::Persistent(info[1].As<Napi::Function>());

  // The workload starts on the spawn thread (spawn_thread.h); the rest is
  // finished here, on the main thread, once it has handed over its listener.
  // The caller keeps stdio open until the promise settles.
  Napi::Promise promise = job->deferred.Promise();
  auto done = SpawnDone::New(env, "zviz-spawn", 0, 1);
  SpawnJob* raw = job.release();
  std::string error;
  const bool posted = RunOnSpawnThread(
      [raw, done]() mutable {
        if (auto e = SpawnWorkload(raw->request, &raw->spawned); !e.empty()) {
          raw->error = e;
        } else {
          NoteListener(raw->spawned.listener.get());
        }
        if (done.BlockingCall(raw) != napi_ok) {
          // The agent is going away: no one will supervise it. The job's
          // JavaScript references cannot be freed without their environment.
          KillSpawned(&raw->spawned);
        }
        done.Release();
      },
      &error);
  if (!posted) {
    done.Release();
    job.reset(raw);
    return fail(error);
  }
  return promise;
}

void NativeContainer::FinishSpawn(Napi::Env env, Napi::Function, void*, SpawnJob* raw) {
  if (env == nullptr) {
    KillSpawned(&raw->spawned);
    return;  // leaked on purpose, as above
  }
  std::unique_ptr<SpawnJob> job(raw);
  // `reason` says which kind of failure it was, for the agent's count of
  // failed starts (zviz_container_start_failures_total): a bounded word,
  // where the message names the step.
  auto reject = [&env, &job](const std::string& message, const char* reason = "agent") {
    Napi::Error error = Napi::Error::New(env, message);
    error.Set("reason", Napi::String::New(env, reason));
    job->deferred.Reject(error.Value());
  };
  if (!job->error.empty()) {
    return reject(job->error, job->spawned.timed_out          ? "timeout"
                              : job->spawned.children_failed ? "setup"
                                                              : "agent");
  }
  Spawned& spawned = job->spawned;
  const SpawnRequest& request = job->request;

  // The namespaces it got. Its first process is the agent's child and not
  // reaped yet (the reaper starts below), so its pid names nothing else.
  uint64_t pid_ns = 0;
  uint64_t mnt_ns = 0;
  {
    struct stat st;
    if (spawned.mount_ns && fstat(spawned.mount_ns.get(), &st) == 0) {
      mnt_ns = static_cast<uint64_t>(st.st_ino);
    }
    char path[48];
    snprintf(path, sizeof(path), "%d/ns/pid", spawned.pid);
    if (request.pid_namespace && fstatat(HostProc(), path, &st, 0) == 0) {
      pid_ns = static_cast<uint64_t>(st.st_ino);
    }
  }

  SupervisorOptions sopts;
  sopts.label = job->label;
  sopts.policy = job->policy;
  sopts.devices = std::move(job->devices);
  // Shares the prepared profile's program (the aliasing constructor keeps the whole compiled filter alive).
  sopts.reference = std::shared_ptr<const BpfProgram>(job->compiled, &job->compiled->reference);
  sopts.events_all = job->events_all;
  sopts.capabilities = request.capabilities;
  sopts.sync_wake_up = job->sync_wake_up;
  sopts.cpu_limit = job->cpus;
  sopts.user_ns = spawned.user_ns;
  sopts.workload_pid = spawned.workload_pid;
  if (spawned.mount_ns) {
    sopts.mount_ns = std::make_shared<UniqueFd>(std::move(spawned.mount_ns));
  }
  sopts.expected_refusals = std::move(job->expected);
  auto supervisor = std::make_unique<Supervisor>(std::move(spawned.listener), std::move(sopts));
  std::string error;
  if (!supervisor->Start(&error)) {
    KillSpawned(&spawned);
    return reject(error);
  }

  Pending pending;
  pending.process = std::make_shared<ProcessState>();
  pending.process->pid = spawned.pid;
  pending.process->workload_pid = spawned.workload_pid;
  pending.process->has_init = request.pid_namespace;
  pending.process->pid_ns = pid_ns;
  pending.process->mnt_ns = mnt_ns;
  pending.process->pidfd = std::move(spawned.pidfd);
  pending.process->status = std::move(spawned.status);
  pending.process->exit_report = std::move(spawned.exit_report);
  pending.supervisor = std::move(supervisor);
  auto process = pending.process;
  Napi::Object handle =
      env.GetInstanceData<AddonData>()->container.New({Napi::External<Pending>::New(env, &pending)});
  if (env.IsExceptionPending()) {
    Napi::Error e = env.GetAndClearPendingException();
    if (pending.supervisor) {
      pending.supervisor->Stop();
    }
    sys::PidfdSendSignal(process->pidfd.get(), SIGKILL);
    job->deferred.Reject(e.Value());
    return;
  }
  NativeContainer* self = Unwrap(handle);

  auto* args = new ReaperArgs{process, {}};
  auto* ref = new Napi::Reference<Napi::Object>(Napi::Persistent(handle));
  args->tsfn = Tsfn::New(env, job->on_event.Value(), "zviz-reaper", 0, 1, ref,
                         [](Napi::Env, void*, Napi::Reference<Napi::Object>* r) { delete r; });
  if (pthread_create(&self->reaper_, nullptr, Reap, args) != 0) {
    args->tsfn.Release();
    delete args;
    self->supervisor_->Stop();
    sys::PidfdSendSignal(process->pidfd.get(), SIGKILL);
    return reject("cannot start the reaper thread");
  }
  self->reaper_started_ = true;
  job->deferred.Resolve(handle);
}

void NativeContainer::DeliverEvent(Napi::Env env, Napi::Function callback, Napi::Reference<Napi::Object>* self,
                                   ReaperEvent* event) {
  std::unique_ptr<ReaperEvent> owned(event);
  if (env == nullptr || callback.IsEmpty()) {
    return;
  }
  Napi::Object payload = Napi::Object::New(env);
  if (event->kind == ReaperEvent::Kind::kExec) {
    payload.Set("error", event->exec_error);
    if (event->exec_error > 0) {
      // execve's own errno as it is ("No such file or directory"); another step with its name.
      payload.Set("message", event->exec_step == child::kStepExec
                                 ? std::string(std::strerror(event->exec_error))
                                 : std::string(StepName(event->exec_step)) + ": " + std::strerror(event->exec_error));
      // For the count of failed starts: the workload's program, or the set-up around it.
      payload.Set("reason", event->exec_step == child::kStepExec ? "exec" : "setup");
    }
    callback.Call(self->Value(), {Napi::String::New(env, "exec"), payload});
  } else {
    if (event->signal != 0) {
      payload.Set("signal", event->signal);
    } else {
      payload.Set("code", event->code);
    }
    callback.Call(self->Value(), {Napi::String::New(env, "exit"), payload});
  }
}

Napi::Value NativeContainer::Pid(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), process_->workload_pid);
}

Napi::Value NativeContainer::InitPid(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), process_->has_init ? process_->pid : 0);
}

Napi::Value NativeContainer::Namespaces(const Napi::CallbackInfo& info) {
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("pid", static_cast<double>(process_->pid_ns));
  out.Set("mnt", static_cast<double>(process_->mnt_ns));
  return out;
}

Napi::Value NativeContainer::SyncWakeUp(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), supervisor_ && supervisor_->sync_wake_up_active());
}

Napi::Value NativeContainer::Signal(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    Napi::TypeError::New(env, "signal(number, group?)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const int sig = info[0].As<Napi::Number>().Int32Value();
  const bool group = info.Length() > 1 && info[1].ToBoolean().Value();
  std::lock_guard<std::mutex> lock(process_->mu);
  if (process_->reaped) {
    return Napi::Boolean::New(env, false);
  }
  // Not reaped yet: the pid, and so the process group the workload leads
  // (it called setsid), still belong to it. With an init, the init forwards
  // every signal to the workload's process group (SIGKILL ends the namespace).
  const int rc = group && !process_->has_init ? kill(-process_->pid, sig)
                                              : sys::PidfdSendSignal(process_->pidfd.get(), sig);
  return Napi::Boolean::New(env, rc == 0);
}

Napi::Value NativeContainer::StopSupervisor(const Napi::CallbackInfo& info) {
  if (supervisor_) {
    supervisor_->Stop();
  }
  return info.Env().Undefined();
}

/**
 * The run has ended and its counts are read: what it holds goes now rather
 * than when V8 collects this object, which may be long after on an agent
 * whose JavaScript allocates little. Each ended run held five descriptors (the
 * workload's root, the umask tracker's ns_last_pid, a /proc fd directory, the
 * FIFO workers' eventfd, the first process's pidfd) and the reaper thread's
 * stack (test/security/broker-fuzz.test.ts counts the agent's descriptors).
 */
Napi::Value NativeContainer::Release(const Napi::CallbackInfo& info) {
  if (supervisor_) {
    supervisor_->Stop();
    supervisor_.reset();
  }
  if (process_) {
    std::lock_guard<std::mutex> lock(process_->mu);
    if (process_->reaped) {
      process_->pidfd.reset();  // signal() answers false from here on, without it
    }
  }
  if (reaper_started_) {
    pthread_detach(reaper_);  // it holds its own reference to the process state
    reaper_started_ = false;
  }
  return info.Env().Undefined();
}

Napi::Value NativeContainer::Supervising(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), supervisor_ && !supervisor_->finished());
}

Napi::Value NativeContainer::Counts(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  if (supervisor_) {
    const auto counts = supervisor_->Counts();
    for (size_t i = 0; i < kDecisionCount; ++i) {
      out.Set(DecisionName(static_cast<Decision>(i)), static_cast<double>(counts[i]));
    }
  }
  return out;
}

Napi::Value NativeContainer::Refusals(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  if (supervisor_) {
    for (const auto& [name, count] : supervisor_->Refusals()) {
      out.Set(name, static_cast<double>(count));
    }
  }
  return out;
}

Napi::Value NativeContainer::ExpectedRefusals(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  if (supervisor_) {
    for (const auto& [name, count] : supervisor_->ExpectedRefusals()) {
      out.Set(name, static_cast<double>(count));
    }
  }
  return out;
}

}  // namespace zviz::broker
