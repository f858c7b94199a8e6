// Reading the plans the TypeScript profile compiler hands over (already
// validated there; these readers still refuse anything malformed rather than
// guess).
#pragma once

#include <napi.h>

#include <memory>
#include <string>

#include "broker/filter.h"
#include "broker/policy.h"

namespace zviz::broker {

/** Empty string on success. */
std::string ReadFilterPlan(const Napi::Object& js, FilterPlan* out);
std::string ReadPolicy(const Napi::Object& js, std::shared_ptr<const Policy>* out);
std::string ReadU64(const Napi::Value& value, uint64_t* out);

}  // namespace zviz::broker
