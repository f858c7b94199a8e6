// Handles of prepared profiles (prepared_profile.h): N-API externals, tagged
// so that no other external (or a forged object) is taken for one.
#include "broker/prepared_profile.h"

#include "broker/plan.h"

namespace zviz::broker {
namespace {

constexpr napi_type_tag kPreparedTag = {0x7a76697a70726570ULL, 0x70726f66696c6531ULL};

}  // namespace

Napi::Value PrepareProfileJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto fail = [&env](const std::string& message) {
    Napi::Error::New(env, message).ThrowAsJavaScriptException();
    return env.Undefined();
  };
  if (info.Length() < 1 || !info[0].IsObject()) {
    return fail("prepareProfile({ filter, policy }) expects an object");
  }
  Napi::Object o = info[0].As<Napi::Object>();
  if (!o.Get("filter").IsObject()) return fail("filter missing");
  if (!o.Get("policy").IsObject()) return fail("policy missing");
  FilterPlan plan;
  if (auto e = ReadFilterPlan(o.Get("filter").As<Napi::Object>(), &plan); !e.empty()) return fail("filter: " + e);
  auto compiled = std::make_shared<CompiledFilter>();
  if (auto e = CompileFilter(plan, compiled.get()); !e.empty()) return fail("filter: " + e);
  auto prepared = std::make_unique<PreparedProfile>();
  prepared->filter = std::move(compiled);
  if (auto e = ReadPolicy(o.Get("policy").As<Napi::Object>(), &prepared->policy); !e.empty()) return fail(e);
  auto handle = Napi::External<PreparedProfile>::New(env, prepared.get(),
                                                     [](Napi::Env, PreparedProfile* p) { delete p; });
  prepared.release();
  if (napi_type_tag_object(env, handle, &kPreparedTag) != napi_ok) {
    return fail("cannot tag the prepared profile");
  }
  return handle;
}

const PreparedProfile* PreparedProfileOf(Napi::Env env, const Napi::Value& value) {
  if (!value.IsExternal()) {
    return nullptr;
  }
  bool tagged = false;
  if (napi_check_object_type_tag(env, value, &kPreparedTag, &tagged) != napi_ok || !tagged) {
    return nullptr;
  }
  return value.As<Napi::External<PreparedProfile>>().Data();
}

}  // namespace zviz::broker
