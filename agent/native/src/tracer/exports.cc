// The tracer's JavaScript surface. For now: a smoke probe that loads the
// smallest BPF object, attaches it to a tracepoint and counts this process's
// own syscalls, so a test proves the toolchain and the kernel both work.
#include <napi.h>

#include <bpf/libbpf.h>
#include <linux/types.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "smoke.skel.h"

namespace zviz::tracer {
namespace {

Napi::Value SmokeCountSyscalls(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    Napi::TypeError::New(env, "smokeCountSyscalls(n): n must be a number").ThrowAsJavaScriptException();
    return env.Null();
  }
  const int calls = info[0].As<Napi::Number>().Int32Value();

  smoke* skel = smoke__open();
  if (skel == nullptr) {
    Napi::Error::New(env, std::string("bpf open: ") + strerror(errno)).ThrowAsJavaScriptException();
    return env.Null();
  }
  skel->rodata->target_tgid = static_cast<__u32>(getpid());
  int err = smoke__load(skel);
  if (err == 0) err = smoke__attach(skel);
  if (err != 0) {
    smoke__destroy(skel);
    Napi::Error::New(env, std::string("bpf load/attach: ") + strerror(-err)).ThrowAsJavaScriptException();
    return env.Null();
  }

  for (int i = 0; i < calls; i++) getppid();

  __u32 key = 0;
  __u64 count = 0;
  int lookup = bpf_map__lookup_elem(skel->maps.syscalls, &key, sizeof(key), &count, sizeof(count), 0);
  smoke__destroy(skel);
  if (lookup != 0) {
    Napi::Error::New(env, std::string("bpf map lookup: ") + strerror(-lookup)).ThrowAsJavaScriptException();
    return env.Null();
  }
  return Napi::Number::New(env, static_cast<double>(count));
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("smokeCountSyscalls", Napi::Function::New(env, SmokeCountSyscalls, "smokeCountSyscalls"));
  return exports;
}

}  // namespace zviz::tracer

namespace {
Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return zviz::tracer::Init(env, exports); }
}  // namespace

NODE_API_MODULE(zviz_tracer, InitModule)
