// The broker addon's JavaScript surface. Nothing here is on the per-syscall
// path: JavaScript starts workloads, reads counters at scrape time and
// receives decision events in batches.
#include <malloc.h>
#include <napi.h>
#include <seccomp.h>
#include <linux/landlock.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <string>

#include "broker/container.h"
#include "broker/device_program.h"
#include "broker/events.h"
#include "broker/fdpass_js.h"
#include "broker/filter.h"
#include "broker/host_proc.h"
#include "broker/kernel_probe.h"
#include "broker/metrics.h"
#include "broker/peer.h"
#include "broker/prepared_profile.h"
#include "broker/tcp_peer.h"
#include "broker/plan.h"
#include "broker/read_files.h"
#include "broker/supervisor.h"
#include "broker/syscall_table.h"
#include "common/build_id.h"

namespace zviz::broker {
namespace {

Napi::Value SeccompFeatures(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  // PR_GET_SECCOMP answers 0 when the calling thread is not itself filtered.
  out.Set("filterMode", Napi::Number::New(env, prctl(PR_GET_SECCOMP, 0, 0, 0, 0)));
  std::ifstream actions("/proc/sys/kernel/seccomp/actions_avail");
  std::string line;
  std::getline(actions, line);
  out.Set("actionsAvailable", Napi::String::New(env, line));
  return out;
}

Napi::Value KernelSupportJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const KernelSupport& k = ProbeKernel();
  Napi::Object out = Napi::Object::New(env);
  out.Set("userNotif", k.user_notif);
  out.Set("waitKillableRecv", k.wait_killable_recv);
  out.Set("syncWakeUp", k.sync_wake_up);
  out.Set("addfdSend", k.addfd_send);
  if (!k.detail.empty()) out.Set("detail", k.detail);
  out.Set("libseccomp", LibseccompVersion());
  return out;
}

/**
 * landlockAbi(): the Landlock ABI version the running kernel offers, 0 where
 * it has none (before 5.13, or the LSM not enabled at boot). One syscall, no
 * ruleset made: a profile's load asks it (agent/src/profiles/profile.ts).
 */
Napi::Value LandlockAbi(const Napi::CallbackInfo& info) {
  const long abi = ::syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
  return Napi::Number::New(info.Env(), abi > 0 ? static_cast<double>(abi) : 0);
}

/** syscallInfo(name): whether libseccomp knows it, and its number on this host's ABI (-1 when it has none). */
Napi::Value SyscallInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) {
    Napi::TypeError::New(env, "syscallInfo(name)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const std::string name = info[0].As<Napi::String>().Utf8Value();
  const int generic = seccomp_syscall_resolve_name(name.c_str());
  const int native = seccomp_syscall_resolve_name_arch(SCMP_ARCH_NATIVE, name.c_str());
  const int newer = SyscallTable::NewerSyscallNumber(name);
  Napi::Object out = Napi::Object::New(env);
  out.Set("libseccomp", generic != __NR_SCMP_ERROR);
  out.Set("newer", newer >= 0);
  out.Set("native", native >= 0 ? native : newer);
  return out;
}

Napi::Value SyscallNames(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const SyscallTable& table = SyscallTable::Get();
  Napi::Array out = Napi::Array::New(env, table.size() - 1);
  for (size_t i = 1; i < table.size(); ++i) {
    out.Set(static_cast<uint32_t>(i - 1), table.Name(static_cast<uint16_t>(i)));
  }
  return out;
}

Napi::Value CompileFilterJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  if (info.Length() < 1 || !info[0].IsObject()) {
    Napi::TypeError::New(env, "compileFilter(plan)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  FilterPlan plan;
  CompiledFilter compiled;
  std::string error = ReadFilterPlan(info[0].As<Napi::Object>(), &plan);
  if (error.empty()) {
    error = CompileFilter(plan, &compiled);
  }
  out.Set("ok", error.empty());
  if (!error.empty()) out.Set("error", error);
  Napi::Array warnings = Napi::Array::New(env, compiled.warnings.size());
  for (size_t i = 0; i < compiled.warnings.size(); ++i) warnings.Set(static_cast<uint32_t>(i), compiled.warnings[i]);
  out.Set("warnings", warnings);
  out.Set("instructions", static_cast<double>(compiled.enforcement.size()));
  return out;
}

Napi::Buffer<uint8_t> ProgramBytes(Napi::Env env, const BpfProgram& program) {
  return Napi::Buffer<uint8_t>::Copy(env, reinterpret_cast<const uint8_t*>(program.data()),
                                     program.size() * sizeof(struct sock_filter));
}

/** An error message, or the program the bytes hold. */
std::string ReadProgram(const Napi::Value& value, BpfProgram* out) {
  if (!value.IsBuffer()) return "a program must be a Buffer";
  Napi::Buffer<uint8_t> bytes = value.As<Napi::Buffer<uint8_t>>();
  if (bytes.Length() == 0 || bytes.Length() % sizeof(struct sock_filter) != 0) {
    return "a program of " + std::to_string(bytes.Length()) + " bytes";
  }
  out->resize(bytes.Length() / sizeof(struct sock_filter));
  std::memcpy(out->data(), bytes.Data(), bytes.Length());
  return {};
}

/** compiledProgram(plan): the plan's compiled programs and key, for the build to keep (AdoptCompiledFilter). */
Napi::Value CompiledProgramJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) {
    Napi::TypeError::New(env, "compiledProgram(plan)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  FilterPlan plan;
  CompiledFilter compiled;
  std::string error = ReadFilterPlan(info[0].As<Napi::Object>(), &plan);
  if (error.empty()) error = CompileFilter(plan, &compiled);
  if (!error.empty()) {
    Napi::Error::New(env, error).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("key", FilterPlanKey(plan));
  out.Set("build", OwnBuildId());
  out.Set("libseccomp", LibseccompVersion());
  out.Set("reference", ProgramBytes(env, compiled.reference));
  out.Set("enforcement", ProgramBytes(env, compiled.enforcement));
  Napi::Array warnings = Napi::Array::New(env, compiled.warnings.size());
  for (size_t i = 0; i < compiled.warnings.size(); ++i) warnings.Set(static_cast<uint32_t>(i), compiled.warnings[i]);
  out.Set("warnings", warnings);
  return out;
}

/** adoptCompiledProgram(compiled): null, or why what compiledProgram gave was not kept. */
Napi::Value AdoptCompiledProgramJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) {
    Napi::TypeError::New(env, "adoptCompiledProgram(compiled)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Object in = info[0].As<Napi::Object>();
  Napi::Value key = in.Get("key");
  Napi::Value build = in.Get("build");
  Napi::Value libseccomp = in.Get("libseccomp");
  Napi::Value list = in.Get("warnings");
  if (!key.IsString() || !build.IsString() || !libseccomp.IsString() || !list.IsArray()) {
    return Napi::String::New(env, "key, build and libseccomp must be strings, warnings an array");
  }
  CompiledFilter compiled;
  std::string error = ReadProgram(in.Get("reference"), &compiled.reference);
  if (error.empty()) error = ReadProgram(in.Get("enforcement"), &compiled.enforcement);
  if (!error.empty()) return Napi::String::New(env, error);
  Napi::Array warnings = list.As<Napi::Array>();
  for (uint32_t i = 0; i < warnings.Length(); ++i) {
    Napi::Value w = warnings.Get(i);
    if (!w.IsString()) return Napi::String::New(env, "warnings must be strings");
    compiled.warnings.push_back(w.As<Napi::String>().Utf8Value());
  }
  error = AdoptCompiledFilter(key.As<Napi::String>().Utf8Value(), build.As<Napi::String>().Utf8Value(),
                              libseccomp.As<Napi::String>().Utf8Value(), std::move(compiled));
  return error.empty() ? env.Null() : Napi::String::New(env, error);
}

Napi::Value CheckPolicy(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::shared_ptr<const Policy> policy;
  std::string error = info.Length() > 0 && info[0].IsObject() ? ReadPolicy(info[0].As<Napi::Object>(), &policy)
                                                               : std::string("checkPolicy(policy)");
  return error.empty() ? env.Null() : Napi::String::New(env, error);
}

Napi::Value Metrics(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const BrokerMetrics::Snapshot s = BrokerMetrics::Get().Read();
  const SyscallTable& table = SyscallTable::Get();
  Napi::Object out = Napi::Object::New(env);
  out.Set("requests", static_cast<double>(s.requests));
  out.Set("errors", static_cast<double>(s.errors));
  out.Set("eventsDropped", static_cast<double>(s.events_dropped));
  out.Set("violations", static_cast<double>(s.violations));
  out.Set("pacedSeconds", static_cast<double>(s.paced_ns) / 1e9);
  out.Set("installsInterrupted", static_cast<double>(s.installs_interrupted));
  out.Set("inflight", static_cast<double>(s.inflight));
  Napi::Object denials = Napi::Object::New(env);
  for (size_t i = 0; i < kLayerCount; ++i) {
    denials.Set(LayerName(static_cast<Layer>(i)), static_cast<double>(s.denials[i]));
  }
  out.Set("denials", denials);
  Napi::Array decisions = Napi::Array::New(env, s.decisions.size());
  for (size_t i = 0; i < s.decisions.size(); ++i) {
    Napi::Object cell = Napi::Object::New(env);
    cell.Set("syscall", table.Name(s.decisions[i].syscall));
    cell.Set("decision", DecisionName(s.decisions[i].decision));
    cell.Set("count", static_cast<double>(s.decisions[i].count));
    decisions.Set(static_cast<uint32_t>(i), cell);
  }
  out.Set("decisions", decisions);
  Napi::Array buckets = Napi::Array::New(env, s.buckets.size());
  for (size_t i = 0; i < s.buckets.size(); ++i) buckets.Set(static_cast<uint32_t>(i), static_cast<double>(s.buckets[i]));
  out.Set("latencyBuckets", buckets);
  out.Set("latencyCount", static_cast<double>(s.latency_count));
  out.Set("latencySumSeconds", static_cast<double>(s.latency_sum_ns) / 1e9);
  return out;
}

bool ReadLimits(Napi::Env env, Napi::Value value, EventLimits* limits) {
  if (!value.IsObject()) {
    Napi::TypeError::New(env, "event limits must be { capacity, rate, burst }").ThrowAsJavaScriptException();
    return false;
  }
  Napi::Object o = value.As<Napi::Object>();
  const Napi::Value capacity = o.Get("capacity");
  const Napi::Value rate = o.Get("rate");
  const Napi::Value burst = o.Get("burst");
  if (!capacity.IsNumber() || !rate.IsNumber() || !burst.IsNumber()) {
    Napi::TypeError::New(env, "event limits must be { capacity, rate, burst }").ThrowAsJavaScriptException();
    return false;
  }
  const int64_t c = capacity.As<Napi::Number>().Int64Value();
  const double r = rate.As<Napi::Number>().DoubleValue();
  const double b = burst.As<Napi::Number>().DoubleValue();
  if (c < 1 || c > 10'000'000 || !(r > 0) || !(b >= 1)) {
    Napi::RangeError::New(env, "capacity must be 1 to 10000000, rate above 0, burst at least 1")
        .ThrowAsJavaScriptException();
    return false;
  }
  limits->capacity = static_cast<size_t>(c);
  limits->rate = r;
  limits->burst = b;
  return true;
}

Napi::Value SetEventSink(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsFunction()) {
    Napi::TypeError::New(env, "setEventSink(wake, { capacity, rate, burst })").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  EventLimits limits;
  if (ReadLimits(env, info[1], &limits)) {
    EventQueue::Get().SetSink(env, info[0].As<Napi::Function>(), limits);
  }
  return env.Undefined();
}

Napi::Value SetEventLimits(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EventLimits limits;
  if (ReadLimits(env, info[0], &limits)) {
    EventQueue::Get().SetLimits(limits);
  }
  return env.Undefined();
}

Napi::Value TakeEvents(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber() || info[0].As<Napi::Number>().Int64Value() < 1) {
    Napi::TypeError::New(env, "takeEvents(max): max must be a positive number").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return EventQueue::Get().TakeEvents(env, static_cast<size_t>(info[0].As<Napi::Number>().Int64Value()));
}

Napi::Value TakeEventDrops(const Napi::CallbackInfo& info) {
  return EventQueue::Get().TakeDrops(info.Env());
}

/**
 * Hands free heap memory back to the kernel (glibc's malloc_trim), on the
 * libuv pool. At a thousand containers the agent's heaps hold tens of MiB
 * that are free but not returned: the main arena grows with the scrape's
 * buffers and the tracer's arrays, and glibc trims only its top, so a page
 * in use anywhere above keeps the rest resident (docs/benchmarks.md).
 * Resolves to whether anything was released.
 */
class TrimWorker : public Napi::AsyncWorker {
 public:
  explicit TrimWorker(Napi::Env env) : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override {
#ifdef __GLIBC__
    released_ = malloc_trim(0) == 1;
#endif
  }
  void OnOK() override { deferred_.Resolve(Napi::Boolean::New(Env(), released_)); }

 private:
  Napi::Promise::Deferred deferred_;
  bool released_ = false;
};

Napi::Value ReleaseFreeMemory(const Napi::CallbackInfo& info) {
  auto* worker = new TrimWorker(info.Env());
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  // Now, in the agent's own mount namespace, before any supervisor thread
  // joins a workload's.
  HostProc();
  auto* data = new AddonData();
  data->container = Napi::Persistent(NativeContainer::Define(env));
  env.SetInstanceData<AddonData>(data);
  env.AddCleanupHook([] { EventQueue::Get().Close(); });
  exports.Set("seccompFeatures", Napi::Function::New(env, SeccompFeatures, "seccompFeatures"));
  exports.Set("kernelSupport", Napi::Function::New(env, KernelSupportJs, "kernelSupport"));
  exports.Set("landlockAbi", Napi::Function::New(env, LandlockAbi, "landlockAbi"));
  exports.Set("syscallInfo", Napi::Function::New(env, SyscallInfo, "syscallInfo"));
  exports.Set("syscallNames", Napi::Function::New(env, SyscallNames, "syscallNames"));
  exports.Set("compileFilter", Napi::Function::New(env, CompileFilterJs, "compileFilter"));
  exports.Set("compiledProgram", Napi::Function::New(env, CompiledProgramJs, "compiledProgram"));
  exports.Set("adoptCompiledProgram", Napi::Function::New(env, AdoptCompiledProgramJs, "adoptCompiledProgram"));
  exports.Set("checkPolicy", Napi::Function::New(env, CheckPolicy, "checkPolicy"));
  exports.Set("spawn", Napi::Function::New(env, NativeContainer::Spawn, "spawn"));
  exports.Set("prepareProfile", Napi::Function::New(env, PrepareProfileJs, "prepareProfile"));
  exports.Set("metrics", Napi::Function::New(env, Metrics, "metrics"));
  exports.Set("setEventSink", Napi::Function::New(env, SetEventSink, "setEventSink"));
  exports.Set("setEventLimits", Napi::Function::New(env, SetEventLimits, "setEventLimits"));
  exports.Set("takeEvents", Napi::Function::New(env, TakeEvents, "takeEvents"));
  exports.Set("takeEventDrops", Napi::Function::New(env, TakeEventDrops, "takeEventDrops"));
  exports.Set("sendWithFds", Napi::Function::New(env, SendWithFdsJs, "sendWithFds"));
  exports.Set("recvWithFds", Napi::Function::New(env, RecvWithFdsJs, "recvWithFds"));
  exports.Set("peerIdentity", Napi::Function::New(env, PeerIdentity, "peerIdentity"));
  exports.Set("tcpPeerCgroup", Napi::Function::New(env, TcpPeerCgroup, "tcpPeerCgroup"));
  exports.Set("attachDeviceProgram", Napi::Function::New(env, AttachDeviceProgramJs, "attachDeviceProgram"));
  exports.Set("releaseFreeMemory", Napi::Function::New(env, ReleaseFreeMemory, "releaseFreeMemory"));
  exports.Set("readFiles", Napi::Function::New(env, ReadFilesJs, "readFiles"));
  return exports;
}

}  // namespace zviz::broker

namespace {
Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return zviz::broker::Init(env, exports); }
}  // namespace

NODE_API_MODULE(zviz_broker, InitModule)
