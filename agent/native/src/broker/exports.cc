// The broker's JavaScript surface. For now: what the kernel offers, so the
// agent can report it and refuse to start a sandbox it cannot enforce.
#include <napi.h>

#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <string>

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

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("seccompFeatures", Napi::Function::New(env, SeccompFeatures, "seccompFeatures"));
  return exports;
}

}  // namespace zviz::broker

namespace {
Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return zviz::broker::Init(env, exports); }
}  // namespace

NODE_API_MODULE(zviz_broker, InitModule)
