#include "floor.h"

#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>

#include "floor.skel.h"

namespace zviz::tracer {

Floor::~Floor() { Detach(); }

bool Floor::Attach(const std::vector<std::string>& tracepoints, std::string* error) {
  Detach();
  skel_ = floor__open_and_load();
  if (skel_ == nullptr) {
    *error = std::string("cannot load the floor program: ") + strerror(errno);
    return false;
  }
  for (const std::string& tracepoint : tracepoints) {
    bpf_link* link = bpf_program__attach_raw_tracepoint(skel_->progs.zviz_floor, tracepoint.c_str());
    if (link == nullptr) {
      *error = "cannot attach the floor program to " + tracepoint + ": " + strerror(errno);
      Detach();
      return false;
    }
    links_.push_back(link);
  }
  return true;
}

void Floor::Detach() {
  for (bpf_link* link : links_) bpf_link__destroy(link);
  links_.clear();
  if (skel_ != nullptr) floor__destroy(skel_);
  skel_ = nullptr;
}

}  // namespace zviz::tracer
