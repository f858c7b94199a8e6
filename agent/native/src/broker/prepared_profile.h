// A profile's seccomp programs and broker policy, read from the agent's
// compiled profile once and then given to every start that uses it.
//
// Reading them from JavaScript objects is the largest part of what a start
// does on the agent's main thread: the filter plan of the default profile has
// some 450 rules, read property by property through N-API and keyed for the
// compiled-program cache, 1 to 2 ms each time, and at a thousand containers
// starting that was most of the main thread's part of a start (the `launch`
// frames of bench:containers' profile, docs/benchmarks.md). The agent keeps
// the handle beside its compiled profile (containers/compiled-profiles.ts);
// the handle holds its programs for as long as JavaScript does.
#pragma once

#include <napi.h>

#include <memory>
#include <string>

#include "broker/filter.h"
#include "broker/policy.h"

namespace zviz::broker {

struct PreparedProfile {
  std::shared_ptr<const CompiledFilter> filter;
  std::shared_ptr<const Policy> policy;
};

/** prepareProfile({ filter, policy }): an opaque handle for spawn's `prepared`; throws what is wrong with either. */
Napi::Value PrepareProfileJs(const Napi::CallbackInfo& info);

/** The profile `value` holds when it is a handle prepareProfile made, else nullptr. */
const PreparedProfile* PreparedProfileOf(Napi::Env env, const Napi::Value& value);

}  // namespace zviz::broker
