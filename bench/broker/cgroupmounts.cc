// What a container start pays for the host's cgroup mounts (part 9 of the
// broker benchmark): the agent's HostCgroupMounts (agent/native/src/broker/
// host_cgroup_mounts.h) read and parsed afresh, as every start did, against
// the kept list a start now gets (one poll of the mountinfo descriptor), at
// the mounts this node has and with EXTRA more (tmpfs mounts made in a mount
// namespace of this process's own, which ends with it). Prints JSON: median
// and p99 µs of each way over ROUNDS, the mountinfo's lines, and whether both
// ways gave the same list.
//   cgroupmounts EXTRA ROUNDS
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "broker/host_cgroup_mounts.h"

extern "C" {
#include "timing.h"
}

using zviz::broker::HostCgroupMount;
using zviz::broker::HostCgroupMounts;

namespace {

double Quantile(std::vector<double> xs, double q) {
  std::sort(xs.begin(), xs.end());
  return xs[std::min(xs.size() - 1, static_cast<size_t>(q * xs.size()))];
}

bool Same(const std::vector<HostCgroupMount>& a, const std::vector<HostCgroupMount>& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](const auto& x, const auto& y) {
           return x.path == y.path && x.fstype == y.fstype && x.options == y.options;
         });
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: cgroupmounts EXTRA ROUNDS\n");
    return 2;
  }
  const long extra = atol(argv[1]);
  const long rounds = atol(argv[2]);
  if (unshare(CLONE_NEWNS) != 0 || mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    fprintf(stderr, "cgroupmounts: a mount namespace of its own: %s\n", strerror(errno));
    return 1;
  }
  char base[] = "/tmp/zviz-bench-mounts-XXXXXX";
  if (mkdtemp(base) == nullptr || mount("tmpfs", base, "tmpfs", 0, "size=1m") != 0) {
    fprintf(stderr, "cgroupmounts: %s: %s\n", base, strerror(errno));
    return 1;
  }
  for (long i = 0; i < extra; i++) {
    const std::string dir = std::string(base) + "/" + std::to_string(i);
    if (mkdir(dir.c_str(), 0755) != 0 || mount("tmpfs", dir.c_str(), "tmpfs", 0, "size=4k") != 0) {
      fprintf(stderr, "cgroupmounts: mount %s: %s\n", dir.c_str(), strerror(errno));
      return 1;
    }
  }
  HostCgroupMounts& mounts = HostCgroupMounts::Get();
  std::vector<double> fresh, kept;
  std::vector<HostCgroupMount> a, b;
  bool same = true;
  for (long r = 0; r < rounds; r++) {
    mounts.ResetForTesting("/proc/self/mountinfo");  // forgets the list and its descriptor: as every start read it
    double t0 = now_us();
    std::string e = mounts.Current(&a);
    fresh.push_back(now_us() - t0);
    t0 = now_us();
    e += mounts.Current(&b);
    kept.push_back(now_us() - t0);
    if (!e.empty()) {
      fprintf(stderr, "cgroupmounts: %s\n", e.c_str());
      return 1;
    }
    same = same && Same(a, b);
  }
  const uint64_t reads = mounts.reads();
  int lines = 0;
  if (FILE* f = fopen("/proc/self/mountinfo", "r")) {
    for (int c; (c = fgetc(f)) != EOF;) lines += c == '\n';
    fclose(f);
  }
  umount2(base, MNT_DETACH);
  rmdir(base);
  printf("{\"mounts\":%d,\"cgroup_mounts\":%zu,\"fresh_p50_us\":%.3f,\"fresh_p99_us\":%.3f,\"kept_p50_us\":%.3f,"
         "\"kept_p99_us\":%.3f,\"reads\":%llu,\"same\":%s}\n",
         lines, a.size(), Quantile(fresh, 0.5), Quantile(fresh, 0.99), Quantile(kept, 0.5), Quantile(kept, 0.99),
         static_cast<unsigned long long>(reads), same ? "true" : "false");
  return same && reads == static_cast<uint64_t>(rounds) ? 0 : 1;
}
