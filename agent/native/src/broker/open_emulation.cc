#include "broker/open_emulation.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <vector>

#include "broker/decimal_name.h"
#include "broker/kernel.h"
#include "broker/step_times.h"
#include "broker/thread_caps.h"

namespace zviz::broker {
namespace {

constexpr int kMaxLinkHops = 40;  // the kernel's MAXSYMLINKS
constexpr int kMaxRaceRetries = 8;

const char kOutsideNote[] = "resolved outside the workload's mount namespace";
const char kHeldOutsideNote[] =
    "a descriptor the workload holds lies outside its mount namespace: reopened for writing only";

void Answer(OpenResult* result, int error) {
  result->verdict = OpenVerdict::kAnswer;
  result->error = error;
}

/** The broker refused on its own account (not a rule): always EACCES-like, always a deny. */
void Refuse(OpenResult* result, BrokerRefusal why, int error, const std::string& note) {
  result->refusal = why;
  result->note = note;
  result->outcome = Outcome{Decision::kDeny, error, -1};
  Answer(result, error);
}

/**
 * Whether an open the wake signal interrupted is given up: the supervisor is
 * stopping. Otherwise it is made again. An open can wait long (a file lease
 * being broken, up to /proc/sys/fs/lease-break-time; a network mount), and
 * Stop() joins this thread from the agent's main thread.
 */
bool GiveUp(const std::atomic<bool>* stopping) {
  return stopping != nullptr && stopping->load(std::memory_order_acquire);
}

int Reopen(int fds_dir, int fd, uint64_t flags, const std::atomic<bool>* stopping) {
  const DecimalName name(fd);
  const int open_flags = static_cast<int>((flags & ~(O_CREAT | O_EXCL | O_NOFOLLOW)) | O_CLOEXEC | O_NOCTTY);
  for (;;) {
    int out = openat(fds_dir, name.c_str(), open_flags);
    if (out >= 0 || errno != EINTR || GiveUp(stopping)) {
      return out;
    }
  }
}

/**
 * Whether an object the workload holds is a file of a mounted file system,
 * not one of the kernel's internal ones, which lie in no mount namespace:
 * pipes, sockets and anonymous inodes (named "pipe:[N]", "socket:[N]",
 * "anon_inode:..."), and memfds ("/memfd:NAME (deleted)", never linked).
 * They hold nothing of the node's tree; only a file can be the caller's.
 */
bool NodeFile(const Resolved& object, const std::string& path) {
  if (path.empty() || path[0] != '/') {
    return false;
  }
  return !(object.st.nlink == 0 && path.rfind("/memfd:", 0) == 0);
}

}  // namespace

bool OpenEmulator::CreatedAllowed(int fd, uint64_t flags) const {
  struct stat st;
  if (fstat(fd, &st) != 0) {
    return false;
  }
  if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode)) {
    return true;
  }
  bool read = false;
  bool write = false;
  DeviceAccess(flags, &read, &write);
  return devices_ != nullptr && devices_->Allows(st.st_mode, major(st.st_rdev), minor(st.st_rdev), read, write);
}

Access ClassifyOpen(uint64_t flags) {
  if (flags & O_PATH) {
    return Access::kRead;  // O_PATH ignores the access mode, O_CREAT and O_TRUNC
  }
  if ((flags & O_ACCMODE) != O_RDONLY) {
    return Access::kWrite;
  }
  if ((flags & (O_CREAT | O_TRUNC)) != 0 || (flags & O_TMPFILE) == O_TMPFILE) {
    return Access::kWrite;  // O_RDONLY|O_TRUNC truncates on Linux
  }
  return Access::kRead;
}

std::string LexicalPath(const std::string& base, const std::string& path) {
  std::vector<std::string> parts;
  auto push = [&parts](const std::string& text) {
    size_t i = 0;
    while (i <= text.size()) {
      size_t j = text.find('/', i);
      if (j == std::string::npos) {
        j = text.size();
      }
      std::string part = text.substr(i, j - i);
      if (part == "..") {
        if (!parts.empty()) {
          parts.pop_back();
        }
      } else if (!part.empty() && part != ".") {
        parts.push_back(part);
      }
      i = j + 1;
    }
  };
  if (path.empty() || path[0] != '/') {
    push(base);
  }
  push(path);
  std::string out;
  for (const std::string& part : parts) {
    out += "/" + part;
  }
  return out.empty() ? "/" : out;
}

std::string CanonicalPath(const std::string& absolute) {
  std::string out;
  out.reserve(absolute.size());
  size_t i = 0;
  while (i < absolute.size()) {
    size_t j = absolute.find('/', i);
    if (j == std::string::npos) {
      j = absolute.size();
    }
    if (j > i && !(j - i == 1 && absolute[i] == '.')) {
      out.push_back('/');
      out.append(absolute, i, j - i);
    }
    i = j + 1;
  }
  return out.empty() ? std::string("/") : out;
}

OpenEmulator::OpenEmulator(const Policy& policy, int proc, bool can_set_umask, bool root_fixed)
    : policy_(policy),
      proc_(proc),
      can_set_umask_(can_set_umask),
      root_fixed_(root_fixed),
      own_fds_(openat(proc, "thread-self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC)),
      resolver_(proc, 0) {
  mounts_ready_ = mounts_.Load(proc);
  resolver_ = PathResolver(proc, mounts_.statx_mask());
  if (root_fixed_) {
    // The thread joined the workload's namespace, whose root is the workload's.
    root_.reset(open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  }
}

bool OpenEmulator::Ready(std::string* why) const {
  if (!own_fds_) {
    *why = "cannot open the supervisor thread's /proc/thread-self/fd";
    return false;
  }
  if (!mounts_ready_) {
    *why = "cannot list the workload's mounts (listmount or /proc/thread-self/mountinfo)";
    return false;
  }
  if (root_fixed_ && !root_) {
    *why = "cannot open the workload's root";
    return false;
  }
  return true;
}

void OpenEmulator::Warm() {
  if (!root_ || !own_fds_) {
    return;
  }
  ResolveRequest request;
  request.root = root_.get();
  request.base = root_.get();
  request.path = "/";
  request.open_flags = O_DIRECTORY;
  request.root_is_own = true;
  // The fast path never looks at the target: "/" from the root is off procfs
  // unless the root itself is one, which then takes the slow walk's refusal.
  const Target nobody(-1, 0, -1);
  Resolved root = resolver_.Resolve(nobody, request);
  if (!root.fd) {
    return;
  }
  UniqueFd reopened(Reopen(own_fds_.get(), root.fd.get(), O_RDONLY | O_DIRECTORY, stopping_));
  (void)FdPath(root.fd.get());
}

std::string OpenEmulator::ObjectPath(const Resolved& object, const std::string& path) const {
  // Literal: the kernel walked exactly these names from the workload's root,
  // which is this thread's root, so d_path would print this very path
  // (path_resolver.h). Anything else asks the kernel.
  return object.literal ? CanonicalPath(path) : FdPath(object.fd.get());
}

std::string OpenEmulator::FdPath(int fd) const {
  const DecimalName name(fd);
  char buf[PATH_MAX + 1];
  ssize_t n = readlinkat(own_fds_.get(), name.c_str(), buf, sizeof(buf) - 1);
  if (n < 0) {
    return {};
  }
  return std::string(buf, static_cast<size_t>(n));
}

Outcome OpenEmulator::Check(uint16_t syscall, Access access, const std::string& path) const {
  return policy_.Decide(syscall, access, path, nullptr, 0);
}

bool OpenEmulator::Outside(const Resolved& object) {
  return !object.own_link && !mounts_.Contains(object.st.mnt_id);
}

int OpenEmulator::ApplyUmask(const Target& target) const {
  if (!can_set_umask_) {
    return -1;
  }
  long value = umask_ != nullptr ? umask_->Known(target.tid()) : -1;
  if (value < 0) {
    TaskStatus status;
    if (!target.Status(&status) || status.umask < 0) {
      return -1;
    }
    value = status.umask;
  }
  // Per-thread: the supervisor thread unshared its fs_struct (CLONE_FS).
  return static_cast<int>(umask(static_cast<mode_t>(value & 0777)));
}

int OpenEmulator::ReopenFifo(int proc, int opath_fd, uint64_t flags) {
  char reopen[32];
  snprintf(reopen, sizeof(reopen), "self/fd/%d", opath_fd);
  const int fd = openat(proc, reopen, static_cast<int>((flags & ~(O_CREAT | O_EXCL | O_NOFOLLOW)) | O_CLOEXEC | O_NOCTTY));
  return fd >= 0 ? fd : -errno;
}

void OpenEmulator::FinishExisting(const Target& target, uint16_t syscall, Access access,
                                  const OpenRequest& request, const std::string& resolved_path, Resolved object,
                                  bool judge_only, OpenResult* result) {
  result->resolved = ObjectPath(object, resolved_path);
  StepTimes::Lap(Step::kName);
  if (result->resolved.empty()) {
    Refuse(result, BrokerRefusal::kInvariant, EACCES, "cannot name the resolved file");
    return;
  }
  if (Outside(object)) {
    Refuse(result, BrokerRefusal::kInvariant, EACCES, kOutsideNote);
    return;
  }
  // A descriptor the caller handed over (`zviz run ... 2>>FILE`) is the
  // node's file, and its path is the node's: the rules, which name the
  // workload's own paths, would judge the node's /tmp/job.log as the
  // container's /tmp. Reopened through /proc/self/fd/N or /dev/stderr it may
  // be written, as shells do (`>/dev/stderr`), but never read: the caller
  // gave it for writing, and it holds whatever earlier runs wrote
  // (test/security/caller-writes.test.ts).
  if (object.own_link && !mounts_.Contains(object.st.mnt_id) && NodeFile(object, result->resolved) &&
      (request.flags & O_ACCMODE) != O_WRONLY) {
    Refuse(result, BrokerRefusal::kInvariant, EACCES, kHeldOutsideNote);
    return;
  }
  result->outcome = Check(syscall, access, result->resolved);
  StepTimes::Lap(Step::kJudge);
  if (IsRefusal(result->outcome.decision)) {
    Answer(result, result->outcome.errno_value);
    return;
  }
  if (judge_only) {
    result->held[0] = std::move(object.fd);  // the judged program, for what it loads next (supervisor_exec.cc)
    Answer(result, 0);
    return;
  }
  const uint64_t flags = request.flags;
  if ((flags & O_CREAT) && (flags & O_EXCL)) {
    Answer(result, EEXIST);
    return;
  }
  if (flags & O_PATH) {
    // SECCOMP_IOCTL_NOTIF_ADDFD installs only files that can be read or
    // written; an O_PATH open decided by path cannot be answered faithfully.
    Refuse(result, BrokerRefusal::kUnsupported, EOPNOTSUPP,
           "O_PATH opens decided by path are not supported in the sandbox (SECCOMP_IOCTL_NOTIF_ADDFD cannot install them)");
    result->outcome.rule = -1;
    return;
  }
  const mode_t mode = object.st.mode;
  if (S_ISLNK(mode)) {
    Answer(result, ELOOP);  // O_NOFOLLOW on a symbolic link
    return;
  }
  if (S_ISDIR(mode) && (flags & O_CREAT)) {
    Answer(result, EISDIR);  // as the kernel answers O_CREAT of an existing directory
    return;
  }
  if (S_ISCHR(mode) || S_ISBLK(mode)) {
    bool read = false;
    bool write = false;
    DeviceAccess(flags, &read, &write);
    if (devices_ == nullptr || !devices_->Allows(mode, object.st.rdev_major, object.st.rdev_minor, read, write)) {
      // Judged before the open: opening a device can act (a watchdog arms, a tape rewinds).
      Refuse(result, BrokerRefusal::kDevice, EPERM, "not on the container's device list");
      return;
    }
  }
  if (S_ISCHR(mode) && object.st.rdev_major == 5 && object.st.rdev_minor == 0) {
    result->note = "no controlling terminal in the sandbox";
    Answer(result, ENXIO);
    return;
  }
  // The kernel takes a descriptor number before it opens anything, so a full
  // table fails the open (EMFILE) before a file is truncated, a FIFO's other
  // end is woken or a device acts. The broker installs its descriptor only
  // after its open, so it asks first (a full table truncated the file and
  // then answered EMFILE).
  const bool acts = ((flags & O_TRUNC) && S_ISREG(mode)) || S_ISFIFO(mode) || S_ISCHR(mode) || S_ISBLK(mode);
  if (acts && !target.HasFreeDescriptor()) {
    Answer(result, EMFILE);
    return;
  }
  if ((flags & O_TMPFILE) == O_TMPFILE) {
    int old = ApplyUmask(target);
    int fd = openat(object.fd.get(), ".", static_cast<int>(flags | O_CLOEXEC), static_cast<mode_t>(request.mode));
    int err = errno;
    if (old >= 0) {
      umask(static_cast<mode_t>(old));
    }
    if (fd < 0) {
      Answer(result, err);
      return;
    }
    result->verdict = OpenVerdict::kInstall;
    result->fd.reset(fd);
    return;
  }
  if (S_ISFIFO(mode) && !(flags & O_NONBLOCK) && (flags & O_ACCMODE) != O_RDWR) {
    // Opening one end of a FIFO waits for the other end; do it off this thread.
    result->verdict = OpenVerdict::kDeferred;
    result->fd = std::move(object.fd);
    return;
  }
  // Reopening the O_PATH descriptor through this thread's own fd directory
  // opens exactly the inode that was judged; the kernel checks permissions
  // on it as for any open, against the workload's capabilities.
  int fd = Reopen(own_fds_.get(), object.fd.get(), flags, stopping_);
  int err = errno;
  if (fd < 0 && (err == EACCES || err == EPERM) && object.own_task) {
    PtraceOverride override;  // the workload's own /proc/<pid>/mem, environ, ... when it is non-dumpable
    if (override.active()) {
      fd = Reopen(own_fds_.get(), object.fd.get(), flags, stopping_);
      err = errno;
    }
  }
  if (fd < 0 && err == EINTR) {
    // Interrupted only by Stop(): answer nothing; closing the listener fails the call (ENOSYS).
    result->verdict = OpenVerdict::kAbandon;
    return;
  }
  // Truncating opens apart: truncating a file whose blocks are on disk takes
  // the file system's journal, which a busy disk makes wait (docs/benchmarks.md).
  StepTimes::Lap((flags & O_TRUNC) && S_ISREG(mode) ? Step::kTruncate : Step::kReopen);
  if (fd < 0) {
    Answer(result, err);
    return;
  }
  result->verdict = OpenVerdict::kInstall;
  result->fd.reset(fd);
  result->held[0] = std::move(object.fd);
}

/** The directories a request resolves from, opened from the workload's own /proc entries. */
struct OpenEmulator::Bases {
  UniqueFd root_owned;
  int root = -1;
  UniqueFd base_owned;
  int base = -1;
};

OpenResult OpenEmulator::Run(const Target& target, uint16_t syscall, const OpenRequest& request) {
  return Resolve(target, syscall, request, false);
}

OpenResult OpenEmulator::Judge(const Target& target, uint16_t syscall, const OpenRequest& request) {
  OpenRequest as_path = request;
  as_path.flags = O_PATH | (request.flags & O_NOFOLLOW);
  return Resolve(target, syscall, as_path, true);
}

OpenResult OpenEmulator::Resolve(const Target& target, uint16_t syscall, const OpenRequest& request,
                                 bool judge_only) {
  OpenResult result;
  const Access access = ClassifyOpen(request.flags);
  if (request.path.empty()) {
    Answer(&result, ENOENT);
    return result;
  }
  if (request.dirfd < 0 && request.dirfd != AT_FDCWD) {
    Answer(&result, EBADF);
    return result;
  }
  // The workload's root, cwd and descriptors are its own magic links: the
  // kernel follows them for the broker as for any process with the
  // workload's credentials (a workload that made itself non-dumpable closes
  // them). Their thread id is only known to be the workload's once
  // SECCOMP_IOCTL_NOTIF_ID_VALID confirms it afterwards.
  Bases bases;
  int unreachable = 0;
  if (root_fixed_) {
    bases.root = root_.get();
  } else {
    bases.root_owned.reset(target.OpenEntry("root", O_PATH | O_DIRECTORY));
    unreachable = bases.root_owned ? 0 : errno;
    bases.root = bases.root_owned.get();
  }
  const bool absolute = request.path[0] == '/';
  const bool scoped = (request.resolve & (RESOLVE_BENEATH | RESOLVE_IN_ROOT)) != 0;
  int base_error = 0;
  if (!absolute || scoped) {
    std::string what = "cwd";
    if (request.dirfd != AT_FDCWD) {
      what = std::string("fd/") + DecimalName(request.dirfd).c_str();
    }
    bases.base_owned.reset(target.OpenEntry(what.c_str(), O_PATH));
    base_error = bases.base_owned ? 0 : errno;
    bases.base = bases.base_owned.get();
  } else {
    bases.base = bases.root;
  }
  // The span of the path read ends here: nothing below reaches the task
  // itself, and no resolution or open may carry CAP_SYS_PTRACE.
  LowerPtrace();
  StepTimes::Lap(Step::kBases);
  if (!target.Valid()) {
    result.verdict = OpenVerdict::kAbandon;
    return result;
  }
  StepTimes::Lap(Step::kValid);
  if (unreachable == 0 && base_error != 0 && base_error != ENOENT) {
    unreachable = base_error;
  }
  if (unreachable != 0) {
    // The task is alive and its own entries refuse the broker: it made itself non-dumpable.
    Refuse(&result, BrokerRefusal::kUnreachable, EPERM,
           "the workload made itself non-dumpable (PR_SET_DUMPABLE 0): its root, cwd and descriptors are "
           "closed to the broker");
    return result;
  }
  if (base_error == ENOENT) {
    Answer(&result, request.dirfd == AT_FDCWD ? ENOENT : EBADF);
    return result;
  }
  // Rules judge the lexical path when nothing resolves (a refusal must not
  // turn into "no such file" for paths the workload may not touch). Under
  // RESOLVE_IN_ROOT the path, absolute or not, stays below its directory.
  auto lexical = [&](const std::string& attempted) {
    const std::string base_path = bases.base == bases.root ? std::string("/") : FdPath(bases.base);
    if (!(request.resolve & RESOLVE_IN_ROOT)) {
      return LexicalPath(base_path, attempted);
    }
    const std::string inside = LexicalPath("/", attempted);
    if (base_path == "/") {
      return inside;
    }
    return inside == "/" ? base_path : base_path + inside;
  };
  auto fail = [&](int error, const std::string& attempted) {
    result.resolved = lexical(attempted);
    result.outcome = Check(syscall, access, result.resolved);
    Answer(&result, IsRefusal(result.outcome.decision) ? result.outcome.errno_value : error);
  };
  auto refused = [&](const Resolved& r) {
    Refuse(&result, r.error == EACCES ? BrokerRefusal::kAgentEntry : BrokerRefusal::kInvariant, r.error,
           std::string("path ") + r.refusal);
  };

  ResolveRequest resolve;
  resolve.root = bases.root;
  resolve.base = bases.base;
  resolve.path = request.path;
  resolve.open_flags = request.flags & (O_NOFOLLOW | O_DIRECTORY);
  resolve.resolve = request.resolve;
  resolve.root_is_own = root_fixed_;
  UniqueFd hold;  // the directory a relative symlink target resolves from
  int retries = 0;
  for (int hops = 0; hops <= kMaxLinkHops; ++hops) {
    // A create that may make the file walks its directory and then the name,
    // as the kernel does: a missing name is then settled in one walk.
    const bool may_create = (request.flags & O_CREAT) && (request.flags & O_TMPFILE) != O_TMPFILE && !judge_only;
    Resolved found = may_create ? resolver_.ResolveForCreate(target, resolve) : resolver_.Resolve(target, resolve);
    StepTimes::Lap(Step::kResolve);
    if (found.fd) {
      FinishExisting(target, syscall, access, request, resolve.path, std::move(found), judge_only, &result);
      result.held[1] = std::move(bases.base_owned);
      return result;
    }
    if (found.refusal != nullptr) {
      refused(found);
      return result;
    }
    if (found.error != ENOENT || !(request.flags & O_CREAT) || (request.flags & O_TMPFILE) == O_TMPFILE ||
        judge_only) {
      fail(found.error, resolve.path);
      return result;
    }
    // O_CREAT of a missing file: resolve the parent, judge parent + name.
    const std::string& path = resolve.path;
    if (path.back() == '/') {
      fail(EISDIR, path);
      return result;
    }
    const size_t slash = path.rfind('/');
    const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
    if (name == "." || name == "..") {
      fail(EISDIR, path);
      return result;
    }
    ResolveRequest parent_request = resolve;
    parent_request.path =
        slash == std::string::npos ? std::string(".") : (slash == 0 ? std::string("/") : path.substr(0, slash));
    parent_request.open_flags = O_DIRECTORY;
    Resolved parent;
    if (found.missing_in) {
      // The resolver found the name missing from this very directory (resolved
      // as parent_request resolves): no walk again.
      parent.fd = std::move(found.missing_in);
      parent.st = found.missing_in_st;
      parent.literal = found.missing_in_literal;
    } else {
      parent = resolver_.Resolve(target, parent_request);
    }
    if (!parent.fd) {
      if (parent.refusal != nullptr) {
        refused(parent);
      } else {
        fail(parent.error, path);
      }
      return result;
    }
    // Nothing is created outside the workload's mount namespace, not even in
    // a directory it holds a descriptor of.
    if (!mounts_.Contains(parent.st.mnt_id)) {
      Refuse(&result, BrokerRefusal::kInvariant, EACCES, kOutsideNote);
      return result;
    }
    const std::string parent_name = ObjectPath(parent, parent_request.path);
    if (parent_name.empty()) {
      Refuse(&result, BrokerRefusal::kInvariant, EACCES, "cannot name the directory to create in");
      return result;
    }
    result.resolved = parent_name == "/" ? "/" + name : parent_name + "/" + name;
    result.outcome = Check(syscall, access, result.resolved);
    StepTimes::Lap(Step::kCreateDir);
    if (IsRefusal(result.outcome.decision)) {
      Answer(&result, result.outcome.errno_value);
      return result;
    }
    if (!target.HasFreeDescriptor()) {
      Answer(&result, EMFILE);  // as above (FinishExisting): nothing is created
      return result;
    }
    const int old_mask = ApplyUmask(target);
    StepTimes::Lap(Step::kCreateRoom);
    int fd;
    do {
      fd = openat(parent.fd.get(), name.c_str(), static_cast<int>(request.flags | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY),
                  static_cast<mode_t>(request.mode));
    } while (fd < 0 && errno == EINTR && !GiveUp(stopping_));
    const int err = errno;
    if (old_mask >= 0) {
      umask(static_cast<mode_t>(old_mask));
    }
    StepTimes::Lap(Step::kCreate);
    if (fd < 0 && err == EINTR) {
      result.verdict = OpenVerdict::kAbandon;  // Stop() interrupted it (see Reopen)
      return result;
    }
    if (fd >= 0) {
      result.fd.reset(fd);
      // Opened by name after the name was judged: a device node that took its
      // place meanwhile is judged as a device (the other opens reopen the very
      // inode judged before).
      if (!CreatedAllowed(result.fd.get(), request.flags)) {
        result.fd.reset();
        Refuse(&result, BrokerRefusal::kDevice, EPERM, "not on the container's device list");
        return result;
      }
      result.verdict = OpenVerdict::kInstall;
      return result;
    }
    if (err == ELOOP && !(request.flags & (O_NOFOLLOW | O_EXCL))) {
      // A (dangling) link in place of the name: the kernel would create its
      // target. Follow it one hop and judge again.
      char target_text[PATH_MAX + 1];
      ssize_t n = readlinkat(parent.fd.get(), name.c_str(), target_text, sizeof(target_text) - 1);
      if (n < 0) {
        fail(errno, path);
        return result;
      }
      if (n == 0) {
        fail(ENOENT, path);
        return result;
      }
      std::string next(target_text, static_cast<size_t>(n));
      if (next[0] != '/') {
        // A relative link target resolves from the link's directory.
        hold = std::move(parent.fd);
        resolve.base = hold.get();
      }
      resolve.path = std::move(next);
      continue;
    }
    if (err == EEXIST && !(request.flags & O_EXCL) && retries++ < kMaxRaceRetries) {
      --hops;  // the file appeared meanwhile: open it as an existing one
      continue;
    }
    Answer(&result, err);
    return result;
  }
  fail(ELOOP, resolve.path);
  return result;
}

}  // namespace zviz::broker
