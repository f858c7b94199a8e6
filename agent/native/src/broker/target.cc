#include "broker/target.h"

#include <fcntl.h>
#include <linux/seccomp.h>
#include <dirent.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "broker/decimal_name.h"
#include "broker/host_proc.h"
#include "broker/thread_caps.h"
#include "common/unique_fd.h"

namespace zviz::broker {
namespace {

constexpr uint64_t kPage = 4096;
constexpr size_t kFirstRead = 256;

/**
 * Runs `attempt`, a reach into the notifying task's own /proc entries or
 * memory, as its peer. Those are closed to a peer without CAP_SYS_PTRACE over
 * the task's user namespace (the workload's own), or when the task made itself
 * non-dumpable; never to the task itself. So the attempt is made without the
 * capability and, when `refused` says it was closed, once more with it raised;
 * a thread that needed it once raises it first from then on (PeerNeedsPtrace).
 */
template <typename Attempt, typename Refused, typename Succeeded>
auto AsPeer(Attempt attempt, Refused refused, Succeeded succeeded) -> decltype(attempt()) {
  if (PeerNeedsPtrace()) {
    PtraceOverride override;
    return attempt();
  }
  auto result = attempt();
  if (refused(result)) {
    PtraceOverride override;
    if (override.active()) {
      result = attempt();
      if (succeeded(result)) {
        NotePeerNeedsPtrace();
      }
    }
  }
  return result;
}

/** What a failed /proc lookup says when the entry is closed to this thread. */
bool ClosedToPeer() { return errno == EACCES || errno == EPERM; }

}  // namespace

bool Target::Valid() const {
  uint64_t id = id_;
  return ioctl(listener_, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

int Target::ReadOnce(uint64_t address, void* buffer, size_t len) const {
  size_t done = 0;
  while (done < len) {
    struct iovec local = {static_cast<char*>(buffer) + done, len - done};
    struct iovec remote = {reinterpret_cast<void*>(address + done), len - done};
    ssize_t n = process_vm_readv(tid_, &local, 1, &remote, 1, 0);
    if (n < 0) {
      return errno == EINTR ? -EINTR : -errno;
    }
    if (n == 0) {
      return -EFAULT;
    }
    done += static_cast<size_t>(n);
  }
  return 0;
}

int Target::ReadStringOnce(uint64_t address, size_t max, std::string* out) const {
  out->clear();
  char chunk[kPage];
  uint64_t at = address;
  // Read up to each page end, so a string that ends just before an unmapped
  // page is still read whole; most paths are short, so the first read asks
  // for little (copying a whole page costs a fifth of a microsecond).
  size_t first = kFirstRead;
  while (out->size() <= max) {
    size_t want = std::min(static_cast<size_t>(kPage - (at % kPage)), first);
    first = kPage;
    struct iovec local = {chunk, want};
    struct iovec remote = {reinterpret_cast<void*>(at), want};
    ssize_t n = process_vm_readv(tid_, &local, 1, &remote, 1, 0);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return n < 0 ? -errno : -EFAULT;
    }
    const void* nul = std::memchr(chunk, '\0', static_cast<size_t>(n));
    if (nul != nullptr) {
      out->append(chunk, static_cast<const char*>(nul) - chunk);
      return out->size() <= max ? 0 : -ENAMETOOLONG;
    }
    out->append(chunk, static_cast<size_t>(n));
    at += static_cast<uint64_t>(n);
  }
  return -ENAMETOOLONG;
}

bool Target::Status(TaskStatus* out) const {
  char name[32];
  snprintf(name, sizeof(name), "%d/status", tid_);
  return ReadTaskStatus(HostProc(), name, out);
}

bool Target::Credentials(TaskStatus* out) const {
  char name[32];
  snprintf(name, sizeof(name), "%d/status", tid_);
  return ReadTaskCredentials(HostProc(), name, out) && out->has_credentials;
}

uint64_t Target::UserNamespace() const {
  const DecimalName name(tid_, "/ns/user");
  return AsPeer(
      [&]() -> uint64_t {
        struct stat st;
        return fstatat(HostProc(), name.c_str(), &st, 0) == 0 ? static_cast<uint64_t>(st.st_ino) : 0;
      },
      [](uint64_t ino) { return ino == 0 && ClosedToPeer(); }, [](uint64_t ino) { return ino != 0; });
}

int Target::OpenEntry(const char* what, int flags) const {
  std::string name = DecimalName(tid_, "/").c_str();
  name += what;
  return AsPeer([&] { return openat(HostProc(), name.c_str(), flags | O_CLOEXEC); },
                [](int fd) { return fd < 0 && ClosedToPeer(); }, [](int fd) { return fd >= 0; });
}

bool Target::HasFreeDescriptor() const {
  struct rlimit limit;
  if (prlimit(tid_, RLIMIT_NOFILE, nullptr, &limit) != 0) {
    return true;  // a task that changed its ids: not ours to read (no CAP_SYS_RESOURCE); as the kernel will tell
  }
  // Since Linux 6.2 the size of /proc/<tid>/fd is the number of open
  // descriptors: fewer than the limit leaves one below it free.
  const DecimalName fd_dir(tid_, "/fd");
  struct stat st;
  if (fstatat(HostProc(), fd_dir.c_str(), &st, 0) != 0 || st.st_size <= 0 ||
      static_cast<rlim_t>(st.st_size) < limit.rlim_cur) {
    return true;
  }
  // As many open as the limit or more (some may lie above a limit lowered
  // later): count those below it. Rare, and only for opens that change something.
  int dir = OpenEntry("fd", O_RDONLY | O_DIRECTORY);
  if (dir < 0) {
    return true;
  }
  DIR* entries = fdopendir(dir);
  if (entries == nullptr) {
    close(dir);
    return true;
  }
  rlim_t below = 0;
  while (const struct dirent* e = readdir(entries)) {
    char* end = nullptr;
    const unsigned long n = strtoul(e->d_name, &end, 10);
    if (e->d_name[0] >= '0' && e->d_name[0] <= '9' && *end == '\0' && n < limit.rlim_cur) {
      ++below;
    }
  }
  closedir(entries);
  return below < limit.rlim_cur;
}

int Target::Read(uint64_t address, void* buffer, size_t len) const {
  return AsPeer([&] { return ReadOnce(address, buffer, len); }, [](int rc) { return rc == -EPERM; },
                [](int rc) { return rc == 0; });
}

int Target::ReadString(uint64_t address, size_t max, std::string* out) const {
  return AsPeer([&] { return ReadStringOnce(address, max, out); }, [](int rc) { return rc == -EPERM; },
                [](int rc) { return rc == 0; });
}

pid_t Target::Tgid() const {
  TaskStatus status;
  return Status(&status) ? status.tgid : -ESRCH;
}

}  // namespace zviz::broker
