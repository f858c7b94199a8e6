// zviz_tracer_testing: the BPF programs that benchmarks and tests need and
// the agent never runs, in an addon of their own so the production tracer
// (zviz_tracer) exports only what the agent uses. Floor is the benchmark's
// floor (empty programs on the tracer's tracepoints, bench/tracer);
// smokeCountSyscalls proves the toolchain on this kernel (agent/test/smoke.test.ts).
// Built by `npm run build` beside the production addons; never packaged
// (scripts/prebuild.mjs ships zviz_broker and zviz_tracer only).
#include <napi.h>

#include <string>
#include <vector>

#include "floor.h"
#include "smoke.h"

namespace zviz::tracer {
namespace {

class FloorWrap : public Napi::ObjectWrap<FloorWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Floor",
                       {InstanceMethod("attach", &FloorWrap::Attach), InstanceMethod("detach", &FloorWrap::Detach)});
  }
  explicit FloorWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<FloorWrap>(info) {}

 private:
  Napi::Value Attach(const Napi::CallbackInfo& info) {
    std::vector<std::string> tracepoints;
    if (info.Length() > 0 && info[0].IsArray()) {
      Napi::Array list = info[0].As<Napi::Array>();
      for (uint32_t i = 0; i < list.Length(); i++) tracepoints.push_back(list.Get(i).ToString());
    }
    std::string error;
    if (!floor_.Attach(tracepoints, &error)) Napi::Error::New(info.Env(), error).ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  Napi::Value Detach(const Napi::CallbackInfo& info) {
    floor_.Detach();
    return info.Env().Undefined();
  }
  Floor floor_;
};

Napi::Value SmokeCountSyscallsJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    Napi::TypeError::New(env, "smokeCountSyscalls(n): n must be a number").ThrowAsJavaScriptException();
    return env.Null();
  }
  uint64_t counted = 0;
  std::string error;
  if (!SmokeCountSyscalls(info[0].As<Napi::Number>().Int32Value(), &counted, &error)) {
    Napi::Error::New(env, error).ThrowAsJavaScriptException();
    return env.Null();
  }
  return Napi::Number::New(env, static_cast<double>(counted));
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("Floor", FloorWrap::Define(env));
  exports.Set("smokeCountSyscalls", Napi::Function::New(env, SmokeCountSyscallsJs, "smokeCountSyscalls"));
  return exports;
}

}  // namespace
}  // namespace zviz::tracer

namespace {
Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return zviz::tracer::Init(env, exports); }
}  // namespace

NODE_API_MODULE(zviz_tracer_testing, InitModule)
