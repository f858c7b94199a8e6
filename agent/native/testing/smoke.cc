#include "smoke.h"

#include <bpf/libbpf.h>
#include <linux/types.h>
#include <unistd.h>

#include <cstring>

#include "smoke.skel.h"

namespace zviz::tracer {

bool SmokeCountSyscalls(int calls, uint64_t* counted, std::string* error) {
  smoke* skel = smoke__open();
  if (skel == nullptr) {
    *error = std::string("bpf open: ") + strerror(errno);
    return false;
  }
  skel->rodata->target_tgid = static_cast<__u32>(getpid());
  int err = smoke__load(skel);
  if (err == 0) err = smoke__attach(skel);
  if (err != 0) {
    smoke__destroy(skel);
    *error = std::string("bpf load/attach: ") + strerror(-err);
    return false;
  }
  for (int i = 0; i < calls; i++) getppid();
  __u32 key = 0;
  __u64 count = 0;
  const int lookup = bpf_map__lookup_elem(skel->maps.syscalls, &key, sizeof(key), &count, sizeof(count), 0);
  smoke__destroy(skel);
  if (lookup != 0) {
    *error = std::string("bpf map lookup: ") + strerror(-lookup);
    return false;
  }
  *counted = count;
  return true;
}

}  // namespace zviz::tracer
