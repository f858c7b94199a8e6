// The tracer's BPF objects, one per group of tracepoints, each opened from
// the skeleton embedded at build time and configured before load. Keeping
// them separate means the kernel refusing one family leaves the others.
#ifndef ZVIZ_TRACER_OBJECTS_H_
#define ZVIZ_TRACER_OBJECTS_H_

#include <bpf/libbpf.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tracer/options.h"

namespace zviz::tracer {

struct ProgramSpec {
  const char* program;     // name in the object
  const char* tracepoint;  // raw tracepoint it attaches to
  bool optional;           // the family works without it (an older kernel's fallback exists)
};

struct ObjectSpec {
  const char* name;
  std::vector<std::string> families;  // families this object serves
  std::vector<ProgramSpec> programs;
};

// An opened, not yet loaded object.
class OpenedObject {
 public:
  OpenedObject(bpf_object* obj, std::function<void()> destroy) : obj_(obj), destroy_(std::move(destroy)) {}
  ~OpenedObject() {
    if (destroy_) destroy_();
  }
  OpenedObject(const OpenedObject&) = delete;
  OpenedObject& operator=(const OpenedObject&) = delete;

  bpf_object* obj() const { return obj_; }

 private:
  bpf_object* obj_;
  std::function<void()> destroy_;
};

const std::vector<ObjectSpec>& AllObjects();

// Whether any family of the object is switched on.
bool Wanted(const ObjectSpec& spec, const Options& options);

// Opens the named object and writes its read-only configuration. Returns
// nullptr with errno set when libbpf cannot open it.
std::unique_ptr<OpenedObject> OpenObject(const ObjectSpec& spec, const Options& options);

}  // namespace zviz::tracer

#endif  // ZVIZ_TRACER_OBJECTS_H_
