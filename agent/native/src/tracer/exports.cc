// The tracer's JavaScript surface. The addon hands back plain numbers and
// typed arrays; the TypeScript side (agent/src/tracer) shapes them into
// series. Loading, attaching, reading and untracing run on the libuv thread
// pool, so the event loop never waits on the verifier or on map walks.
#include <napi.h>

#include <memory>
#include <string>
#include <utility>

#include "tracer/syscall_table.h"
#include "tracer/tracer.h"
#include "tracer_abi.h"

namespace zviz::tracer {
namespace {

bool GetBool(const Napi::Object& o, const char* key, bool fallback) {
  Napi::Value v = o.Get(key);
  return v.IsBoolean() ? v.As<Napi::Boolean>().Value() : fallback;
}

uint32_t GetUint(const Napi::Object& o, const char* key, uint32_t fallback) {
  Napi::Value v = o.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().Uint32Value() : fallback;
}

Options ParseOptions(const Napi::Object& o) {
  Options options;
  options.syscalls = GetBool(o, "syscalls", options.syscalls);
  options.syscall_latency = GetBool(o, "syscallLatency", options.syscall_latency);
  options.latency_sample_shift = GetUint(o, "latencySampleShift", options.latency_sample_shift);
  options.fs = GetBool(o, "fs", options.fs);
  options.dns = GetBool(o, "dns", options.dns);
  options.tcp_connect = GetBool(o, "tcpConnect", options.tcp_connect);
  options.tcp_rtt = GetBool(o, "tcpRtt", options.tcp_rtt);
  options.network = GetBool(o, "network", options.network);
  options.cpu_block = GetBool(o, "cpuBlock", options.cpu_block);
  options.block_io = GetBool(o, "blockIo", options.block_io);
  options.process_name = GetBool(o, "processName", options.process_name);
  options.max_cgroups = GetUint(o, "maxCgroups", options.max_cgroups);
  options.index_size = GetUint(o, "indexSize", options.index_size);
  options.max_stats_entries = GetUint(o, "maxStatsEntries", options.max_stats_entries);
  options.max_pending = GetUint(o, "maxPending", options.max_pending);
  options.max_blocked_threads = GetUint(o, "maxBlockedThreads", options.max_blocked_threads);
  options.dns_timeout_seconds = GetUint(o, "dnsTimeoutSeconds", options.dns_timeout_seconds);
  options.program_stats = GetBool(o, "programStats", options.program_stats);
  Napi::Value overrides = o.Get("tracepointOverrides");
  if (overrides.IsObject()) {
    Napi::Object map = overrides.As<Napi::Object>();
    Napi::Array names = map.GetPropertyNames();
    for (uint32_t i = 0; i < names.Length(); i++) {
      std::string from = names.Get(i).ToString();
      options.tracepoint_overrides[from] = map.Get(from).ToString();
    }
  }
  return options;
}

bool GetCgroupId(const Napi::CallbackInfo& info, uint64_t* id) {
  if (info.Length() < 1 || !info[0].IsBigInt()) {
    Napi::TypeError::New(info.Env(), "cgroup id must be a bigint").ThrowAsJavaScriptException();
    return false;
  }
  bool lossless = false;
  *id = info[0].As<Napi::BigInt>().Uint64Value(&lossless);
  if (!lossless) {
    Napi::RangeError::New(info.Env(), "cgroup id out of range").ThrowAsJavaScriptException();
    return false;
  }
  return true;
}

// Runs fn on the thread pool and settles a promise with convert(result).
template <typename Result>
class PromiseWorker : public Napi::AsyncWorker {
 public:
  using Work = std::function<Result()>;
  using Convert = std::function<Napi::Value(Napi::Env, Result&)>;

  PromiseWorker(Napi::Env env, Work work, Convert convert)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), work_(std::move(work)),
        convert_(std::move(convert)) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override { result_ = work_(); }
  void OnOK() override { deferred_.Resolve(convert_(Env(), result_)); }
  void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  Work work_;
  Convert convert_;
  Result result_{};
};

Napi::Value StatusesToJs(Napi::Env env, std::vector<FamilyStatus>& statuses) {
  Napi::Array out = Napi::Array::New(env, statuses.size());
  for (size_t i = 0; i < statuses.size(); i++) {
    Napi::Object s = Napi::Object::New(env);
    s.Set("family", statuses[i].family);
    s.Set("active", statuses[i].active);
    s.Set("reason", statuses[i].reason);
    out.Set(i, s);
  }
  return out;
}

Napi::Value SnapshotToJs(Napi::Env env, Snapshot& snapshot) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("takenAtNs", snapshot.taken_at_ns);
  out.Set("changesOnly", snapshot.changes_only);
  if (!snapshot.error.empty()) out.Set("error", snapshot.error);

  Napi::Array counts = Napi::Array::New(env, snapshot.syscall_counts.size());
  for (size_t i = 0; i < snapshot.syscall_counts.size(); i++) {
    const SyscallCounts& c = snapshot.syscall_counts[i];
    Napi::Float64Array calls = Napi::Float64Array::New(env, ZVIZ_SYSCALL_SLOTS);
    std::copy(c.calls.begin(), c.calls.end(), calls.Data());
    Napi::Object o = Napi::Object::New(env);
    o.Set("cgroupId", Napi::BigInt::New(env, static_cast<uint64_t>(c.cgroup_id)));
    o.Set("calls", calls);
    counts.Set(i, o);
  }
  out.Set("syscallCounts", counts);

  const size_t n = snapshot.stats.size();
  constexpr size_t kWidth = 5 + ZVIZ_HIST_BUCKETS;
  Napi::BigUint64Array ids = Napi::BigUint64Array::New(env, n);
  Napi::Uint16Array metrics = Napi::Uint16Array::New(env, n);
  Napi::Uint16Array subs = Napi::Uint16Array::New(env, n);
  Napi::Array comms = Napi::Array::New(env, n);
  Napi::Float64Array values = Napi::Float64Array::New(env, n * kWidth);
  for (size_t i = 0; i < n; i++) {
    const StatsEntry& e = snapshot.stats[i];
    ids[i] = e.cgroup_id;
    metrics[i] = e.metric;
    subs[i] = e.sub;
    comms.Set(i, e.comm);
    double* row = values.Data() + i * kWidth;
    row[0] = e.count;
    row[1] = e.sum_ns;
    row[2] = e.bytes;
    row[3] = e.last_ns;
    row[4] = e.last_at;
    std::copy(e.buckets.begin(), e.buckets.end(), row + 5);
  }
  Napi::Object stats = Napi::Object::New(env);
  stats.Set("cgroupIds", ids);
  stats.Set("metrics", metrics);
  stats.Set("subs", subs);
  stats.Set("comms", comms);
  stats.Set("values", values);
  stats.Set("width", static_cast<double>(kWidth));
  out.Set("stats", stats);

  Napi::Float64Array lost = Napi::Float64Array::New(env, snapshot.lost.size());
  std::copy(snapshot.lost.begin(), snapshot.lost.end(), lost.Data());
  out.Set("lost", lost);

  Napi::Array maps = Napi::Array::New(env, snapshot.maps.size());
  for (size_t i = 0; i < snapshot.maps.size(); i++) {
    Napi::Object m = Napi::Object::New(env);
    m.Set("name", snapshot.maps[i].name);
    m.Set("entries", snapshot.maps[i].entries);
    m.Set("capacity", snapshot.maps[i].capacity);
    maps.Set(i, m);
  }
  out.Set("maps", maps);

  Napi::Array programs = Napi::Array::New(env, snapshot.programs.size());
  for (size_t i = 0; i < snapshot.programs.size(); i++) {
    Napi::Object p = Napi::Object::New(env);
    p.Set("program", snapshot.programs[i].program);
    p.Set("runCount", snapshot.programs[i].run_count);
    p.Set("runTimeNs", snapshot.programs[i].run_time_ns);
    programs.Set(i, p);
  }
  out.Set("programs", programs);

  Napi::Array quotas = Napi::Array::New(env, snapshot.quotas.size());
  for (size_t i = 0; i < snapshot.quotas.size(); i++) {
    Napi::Object q = Napi::Object::New(env);
    q.Set("map", snapshot.quotas[i].map);
    q.Set("reserved", snapshot.quotas[i].reserved);
    q.Set("pool", snapshot.quotas[i].pool);
    q.Set("pooled", snapshot.quotas[i].pooled);
    quotas.Set(i, q);
  }
  out.Set("quotas", quotas);

  Napi::Array refusals = Napi::Array::New(env, snapshot.refusals.size());
  for (size_t i = 0; i < snapshot.refusals.size(); i++) {
    const QuotaRefusals& r = snapshot.refusals[i];
    Napi::Float64Array refused = Napi::Float64Array::New(env, r.refused.size());
    std::copy(r.refused.begin(), r.refused.end(), refused.Data());
    Napi::Object o = Napi::Object::New(env);
    o.Set("cgroupId", Napi::BigInt::New(env, static_cast<uint64_t>(r.cgroup_id)));
    o.Set("refused", refused);
    refusals.Set(i, o);
  }
  out.Set("refusals", refusals);
  return out;
}

class TracerWrap : public Napi::ObjectWrap<TracerWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Tracer",
                       {InstanceMethod("start", &TracerWrap::Start), InstanceMethod("trace", &TracerWrap::Trace),
                        InstanceMethod("untrace", &TracerWrap::Untrace), InstanceMethod("read", &TracerWrap::Read),
                        InstanceMethod("setAttached", &TracerWrap::SetAttached),
                        InstanceMethod("stop", &TracerWrap::Stop)});
  }

  explicit TracerWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TracerWrap>(info) {
    Options options = info.Length() > 0 && info[0].IsObject() ? ParseOptions(info[0].As<Napi::Object>()) : Options();
    tracer_ = std::make_shared<Tracer>(std::move(options));
  }

 private:
  Napi::Value Start(const Napi::CallbackInfo& info) {
    auto tracer = tracer_;
    auto* worker = new PromiseWorker<std::vector<FamilyStatus>>(
        info.Env(), [tracer] { return tracer->Start(); }, StatusesToJs);
    Napi::Promise promise = worker->Promise();
    worker->Queue();
    return promise;
  }

  Napi::Value Trace(const Napi::CallbackInfo& info) {
    uint64_t id = 0;
    if (!GetCgroupId(info, &id)) return info.Env().Undefined();
    std::string error;
    if (!tracer_->Trace(id, &error)) Napi::Error::New(info.Env(), error).ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }

  Napi::Value Untrace(const Napi::CallbackInfo& info) {
    uint64_t id = 0;
    if (!GetCgroupId(info, &id)) return info.Env().Undefined();
    auto tracer = tracer_;
    auto* worker = new PromiseWorker<std::string>(
        info.Env(),
        [tracer, id] {
          std::string error;
          tracer->Untrace(id, &error);
          return error;
        },
        [](Napi::Env env, std::string& error) -> Napi::Value {
          return error.empty() ? env.Undefined() : Napi::String::New(env, error);
        });
    Napi::Promise promise = worker->Promise();
    worker->Queue();
    return promise;
  }

  Napi::Value Read(const Napi::CallbackInfo& info) {
    auto tracer = tracer_;
    bool changes_only = false;
    if (info.Length() > 0 && info[0].IsObject()) {
      changes_only = GetBool(info[0].As<Napi::Object>(), "changesOnly", false);
    }
    auto* worker = new PromiseWorker<Snapshot>(
        info.Env(), [tracer, changes_only] { return tracer->Read(changes_only); }, SnapshotToJs);
    Napi::Promise promise = worker->Promise();
    worker->Queue();
    return promise;
  }

  Napi::Value SetAttached(const Napi::CallbackInfo& info) {
    std::string error;
    const bool attached = info.Length() > 0 && info[0].ToBoolean().Value();
    if (!tracer_->SetAttached(attached, &error)) Napi::Error::New(info.Env(), error).ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }

  Napi::Value Stop(const Napi::CallbackInfo& info) {
    tracer_->Stop();
    return info.Env().Undefined();
  }

  std::shared_ptr<Tracer> tracer_;
};

Napi::Value SyscallNamesJs(const Napi::CallbackInfo& info) {
  std::vector<std::string> names = SyscallNames();
  Napi::Array out = Napi::Array::New(info.Env(), names.size());
  for (size_t i = 0; i < names.size(); i++) out.Set(i, names[i]);
  return out;
}

Napi::Object Abi(Napi::Env env) {
  Napi::Object abi = Napi::Object::New(env);
  abi.Set("histBuckets", ZVIZ_HIST_BUCKETS);
  abi.Set("baseNsTrace", static_cast<double>(ZVIZ_BASE_NS_TRACE));
  abi.Set("baseNsSyscall", static_cast<double>(ZVIZ_BASE_NS_SYSCALL));
  abi.Set("syscallSlots", ZVIZ_SYSCALL_SLOTS);
  abi.Set("lostReasons", ZVIZ_LOST_REASONS);
  abi.Set("quotaMaps", ZVIZ_QUOTA_MAPS);
  Napi::Array families = Napi::Array::New(env, ZVIZ_F_COUNT);
  const char* family_names[ZVIZ_F_COUNT] = {"syscalls", "fs",      "dns",       "tcp_connect",
                                            "tcp_rtt",  "network", "cpu_block", "block_io"};
  for (uint32_t i = 0; i < ZVIZ_F_COUNT; i++) families.Set(i, family_names[i]);
  abi.Set("families", families);
  Napi::Object metrics = Napi::Object::New(env);
  metrics.Set("syscall", static_cast<int>(ZVIZ_M_SYSCALL));
  metrics.Set("fs", static_cast<int>(ZVIZ_M_FS));
  metrics.Set("dns", static_cast<int>(ZVIZ_M_DNS));
  metrics.Set("tcpConnect", static_cast<int>(ZVIZ_M_TCP_CONNECT));
  metrics.Set("tcpState", static_cast<int>(ZVIZ_M_TCP_STATE));
  metrics.Set("tcpRtt", static_cast<int>(ZVIZ_M_TCP_RTT));
  metrics.Set("network", static_cast<int>(ZVIZ_M_NET));
  metrics.Set("cpuBlock", static_cast<int>(ZVIZ_M_CPU_BLOCK));
  metrics.Set("blockIo", static_cast<int>(ZVIZ_M_BLOCK_IO));
  abi.Set("metrics", metrics);
  return abi;
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("Tracer", TracerWrap::Define(env));
  exports.Set("syscallNames", Napi::Function::New(env, SyscallNamesJs, "syscallNames"));
  exports.Set("abi", Abi(env));
  return exports;
}

}  // namespace zviz::tracer

namespace {
Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return zviz::tracer::Init(env, exports); }
}  // namespace

NODE_API_MODULE(zviz_tracer, InitModule)
