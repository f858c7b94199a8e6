#include "broker/open_emulation.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <vector>

#include "broker/host_proc.h"
#include "broker/kernel.h"

namespace zviz::broker {
namespace {

constexpr int kMaxLinkHops = 40;  // the kernel's MAXSYMLINKS
constexpr int kMaxRaceRetries = 8;

bool StartsWithComponent(const std::string& path, const std::string& prefix) {
  return path.size() >= prefix.size() && path.compare(0, prefix.size(), prefix) == 0 &&
         (path.size() == prefix.size() || path[prefix.size()] == '/');
}

/** Paths that name the opener itself, rewritten to name the target. */
std::string RewriteSelf(const std::string& path, pid_t tgid, pid_t tid) {
  const std::string proc = "/proc/" + std::to_string(tgid);
  const std::string fds = proc + "/task/" + std::to_string(tid) + "/fd";
  const struct {
    const char* from;
    std::string to;
  } rewrites[] = {
      {"/proc/self", proc},
      {"/proc/thread-self", proc + "/task/" + std::to_string(tid)},
      {"/proc/mounts", proc + "/mounts"},
      {"/proc/net", proc + "/net"},
      {"/dev/fd", fds},
      {"/dev/stdin", fds + "/0"},
      {"/dev/stdout", fds + "/1"},
      {"/dev/stderr", fds + "/2"},
  };
  for (const auto& r : rewrites) {
    if (StartsWithComponent(path, r.from)) {
      return r.to + path.substr(std::strlen(r.from));
    }
  }
  return path;
}

/** O_PATH resolution; retries the transient EAGAIN that RESOLVE_IN_ROOT can give on concurrent renames. */
int ResolvePath(int dir, const std::string& path, uint64_t extra_flags, uint64_t resolve) {
  struct open_how how = {};
  how.flags = O_PATH | O_CLOEXEC | extra_flags;
  how.resolve = resolve;
  for (int attempt = 0;; ++attempt) {
    int fd = sys::Openat2(dir, path.c_str(), &how);
    if (fd >= 0) {
      return fd;
    }
    if (errno == EINTR || (errno == EAGAIN && attempt < kMaxRaceRetries)) {
      continue;
    }
    return -errno;
  }
}

UniqueFd OpenProc(pid_t tid, const char* what, int flags) {
  char path[64];
  snprintf(path, sizeof(path), "%d/%s", tid, what);
  return UniqueFd(openat(HostProc(), path, flags | O_CLOEXEC));
}

void Answer(OpenResult* result, int error) {
  result->verdict = OpenVerdict::kAnswer;
  result->error = error;
}

}  // namespace

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

std::string FdPath(int fd) {
  char link[64];
  snprintf(link, sizeof(link), "thread-self/fd/%d", fd);
  char buf[PATH_MAX + 1];
  ssize_t n = readlinkat(HostProc(), link, buf, sizeof(buf) - 1);
  if (n < 0) {
    return {};
  }
  return std::string(buf, static_cast<size_t>(n));
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

OpenEmulator::OpenEmulator(const Policy& policy, pid_t broker_pid, bool can_set_umask)
    : policy_(policy), broker_proc_("/proc/" + std::to_string(broker_pid)), can_set_umask_(can_set_umask) {
  root_known_ = stat("/", &root_) == 0;
}

Outcome OpenEmulator::Check(uint16_t syscall, Access access, const std::string& path) const {
  return policy_.Decide(syscall, access, path, nullptr, 0);
}

int OpenEmulator::ApplyUmask(const Target& target) const {
  if (!can_set_umask_) {
    return -1;
  }
  long mask = target.StatusField("Umask", 8);
  if (mask < 0) {
    return -1;
  }
  // Per-thread: the supervisor thread unshared its fs_struct (CLONE_FS).
  return static_cast<int>(umask(static_cast<mode_t>(mask & 0777)));
}

int OpenEmulator::OpenDeferred(int opath_fd, uint64_t flags) {
  char reopen[64];
  snprintf(reopen, sizeof(reopen), "thread-self/fd/%d", opath_fd);
  for (;;) {
    int fd = openat(HostProc(), reopen, static_cast<int>((flags & ~(O_CREAT | O_EXCL | O_NOFOLLOW)) | O_CLOEXEC | O_NOCTTY));
    if (fd >= 0) {
      return fd;
    }
    if (errno != EINTR) {
      return -errno;
    }
  }
}

void OpenEmulator::FinishExisting(const Target& target, uint16_t syscall, Access access,
                                  const OpenRequest& request, UniqueFd object, OpenResult* result) const {
  result->resolved = FdPath(object.get());
  if (result->resolved.empty()) {
    result->note = "cannot name the resolved file";
    Answer(result, EACCES);
    result->outcome = Outcome{Decision::kDeny, EACCES, -1};
    return;
  }
  if (StartsWithComponent(result->resolved, broker_proc_)) {
    result->note = "path reaches the broker's own /proc entry";
    result->outcome = Outcome{Decision::kDeny, EACCES, -1};
    Answer(result, EACCES);
    return;
  }
  result->outcome = Check(syscall, access, result->resolved);
  if (IsRefusal(result->outcome.decision)) {
    Answer(result, result->outcome.errno_value);
    return;
  }
  const uint64_t flags = request.flags;
  if ((flags & O_CREAT) && (flags & O_EXCL)) {
    Answer(result, EEXIST);
    return;
  }
  struct stat st;
  if (fstat(object.get(), &st) != 0) {
    Answer(result, errno);
    return;
  }
  if (flags & O_PATH) {
    result->verdict = OpenVerdict::kInstall;
    result->fd = std::move(object);
    return;
  }
  if (S_ISLNK(st.st_mode)) {
    Answer(result, ELOOP);  // O_NOFOLLOW on a symbolic link
    return;
  }
  if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(5, 0)) {
    result->note = "no controlling terminal in the sandbox";
    Answer(result, ENXIO);
    return;
  }
  if ((flags & O_TMPFILE) == O_TMPFILE) {
    int old = ApplyUmask(target);
    int fd = openat(object.get(), ".", static_cast<int>(flags | O_CLOEXEC), static_cast<mode_t>(request.mode));
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
  if (S_ISFIFO(st.st_mode) && !(flags & O_NONBLOCK) && (flags & O_ACCMODE) != O_RDWR) {
    // Opening one end of a FIFO waits for the other end; do it off this thread.
    result->verdict = OpenVerdict::kDeferred;
    result->fd = std::move(object);
    return;
  }
  // Reopening the O_PATH descriptor through procfs opens exactly the inode
  // the rules judged; the kernel checks permissions on it as for any open.
  char reopen[64];
  snprintf(reopen, sizeof(reopen), "thread-self/fd/%d", object.get());
  int fd;
  do {
    fd = openat(HostProc(), reopen, static_cast<int>((flags & ~(O_CREAT | O_EXCL | O_NOFOLLOW)) | O_CLOEXEC | O_NOCTTY));
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    Answer(result, errno);
    return;
  }
  result->verdict = OpenVerdict::kInstall;
  result->fd.reset(fd);
}

OpenResult OpenEmulator::Run(const Target& target, uint16_t syscall, const OpenRequest& request) const {
  OpenResult result;
  const Access access = ClassifyOpen(request.flags);
  if (request.path.empty()) {
    Answer(&result, ENOENT);
    return result;
  }
  const bool absolute = request.path[0] == '/';
  UniqueFd base;
  if (absolute) {
    base = OpenProc(target.tid(), "root", O_PATH | O_DIRECTORY);
  } else if (request.dirfd == AT_FDCWD) {
    base = OpenProc(target.tid(), "cwd", O_PATH | O_DIRECTORY);
  } else if (request.dirfd < 0) {
    Answer(&result, EBADF);
    return result;
  } else {
    char what[32];
    snprintf(what, sizeof(what), "fd/%d", request.dirfd);
    base = OpenProc(target.tid(), what, O_PATH);
  }
  const int base_error = base ? 0 : errno;
  // The /proc entries name a thread id; only now is it known to be ours.
  if (!target.Valid()) {
    result.verdict = OpenVerdict::kAbandon;
    return result;
  }
  if (!base) {
    Answer(&result, (!absolute && request.dirfd != AT_FDCWD && base_error == ENOENT) ? EBADF : base_error);
    return result;
  }
  const std::string base_path = absolute ? std::string("/") : FdPath(base.get());

  bool in_root = false;
  if (absolute && root_known_) {
    struct stat st;
    in_root = fstat(base.get(), &st) == 0 && (st.st_dev != root_.st_dev || st.st_ino != root_.st_ino);
  }
  std::string path = request.path;
  if (absolute && !in_root && (path.compare(0, 6, "/proc/") == 0 || path.compare(0, 5, "/dev/") == 0)) {
    // The target's own entries, as its /proc names them (its PID namespace's numbers).
    const pid_t tgid = target.NamespaceId("NStgid");
    const pid_t tid = target.NamespaceId("NSpid");
    if (tgid < 0 || tid < 0) {
      result.verdict = OpenVerdict::kAbandon;
      return result;
    }
    path = RewriteSelf(path, tgid, tid);
  }
  uint64_t resolve = request.resolve;
  if (in_root) {
    resolve |= RESOLVE_IN_ROOT;
  }
  const uint64_t follow = request.flags & (O_NOFOLLOW | O_DIRECTORY);

  // Rules judge the lexical path when nothing resolves (a refusal must not
  // turn into "no such file" for paths the workload may not touch).
  auto fail = [&](int error, const std::string& attempted) {
    result.resolved = LexicalPath(base_path, attempted);
    result.outcome = Check(syscall, access, result.resolved);
    Answer(&result, IsRefusal(result.outcome.decision) ? result.outcome.errno_value : error);
  };

  UniqueFd hold;  // the directory a relative symlink target resolves from
  int dir = base.get();
  int retries = 0;
  for (int hops = 0; hops <= kMaxLinkHops; ++hops) {
    int found = ResolvePath(dir, path, follow, resolve);
    if (found >= 0) {
      FinishExisting(target, syscall, access, request, UniqueFd(found), &result);
      return result;
    }
    if (found != -ENOENT || !(request.flags & O_CREAT) || (request.flags & O_TMPFILE) == O_TMPFILE) {
      fail(-found, path);
      return result;
    }
    // O_CREAT of a missing file: resolve the parent, judge parent + name.
    if (path.back() == '/') {
      fail(EISDIR, path);
      return result;
    }
    const size_t slash = path.rfind('/');
    const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
    const std::string parent_path =
        slash == std::string::npos ? std::string(".") : (slash == 0 ? std::string("/") : path.substr(0, slash));
    if (name == "." || name == "..") {
      fail(EISDIR, path);
      return result;
    }
    int parent_fd = ResolvePath(dir, parent_path, O_DIRECTORY, resolve);
    if (parent_fd < 0) {
      fail(-parent_fd, path);
      return result;
    }
    UniqueFd parent(parent_fd);
    const std::string parent_name = FdPath(parent.get());
    if (parent_name.empty() || StartsWithComponent(parent_name, broker_proc_)) {
      result.note = "cannot create below the broker's own /proc entry";
      result.outcome = Outcome{Decision::kDeny, EACCES, -1};
      Answer(&result, EACCES);
      return result;
    }
    result.resolved = parent_name == "/" ? "/" + name : parent_name + "/" + name;
    result.outcome = Check(syscall, access, result.resolved);
    if (IsRefusal(result.outcome.decision)) {
      Answer(&result, result.outcome.errno_value);
      return result;
    }
    const int old_mask = ApplyUmask(target);
    int fd;
    do {
      fd = openat(parent.get(), name.c_str(),
                  static_cast<int>(request.flags | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY),
                  static_cast<mode_t>(request.mode));
    } while (fd < 0 && errno == EINTR);
    const int err = errno;
    if (old_mask >= 0) {
      umask(static_cast<mode_t>(old_mask));
    }
    if (fd >= 0) {
      result.verdict = OpenVerdict::kInstall;
      result.fd.reset(fd);
      return result;
    }
    if (err == ELOOP && !(request.flags & (O_NOFOLLOW | O_EXCL))) {
      // A (dangling) link in place of the name: the kernel would create its
      // target. Follow it one hop and judge again.
      char target_text[PATH_MAX + 1];
      ssize_t n = readlinkat(parent.get(), name.c_str(), target_text, sizeof(target_text) - 1);
      if (n < 0) {
        fail(errno, path);
        return result;
      }
      path.assign(target_text, static_cast<size_t>(n));
      if (path.empty()) {
        fail(ENOENT, path);
        return result;
      }
      if (path[0] == '/') {
        dir = base.get();
        if (!absolute) {
          // An absolute link target resolves from the target's root.
          base = OpenProc(target.tid(), "root", O_PATH | O_DIRECTORY);
          if (!base || !target.Valid()) {
            result.verdict = OpenVerdict::kAbandon;
            return result;
          }
          dir = base.get();
        }
      } else {
        hold = std::move(parent);
        dir = hold.get();
      }
      continue;
    }
    if (err == EEXIST && !(request.flags & O_EXCL) && retries++ < kMaxRaceRetries) {
      --hops;  // the file appeared meanwhile: open it as an existing one
      continue;
    }
    Answer(&result, err);
    return result;
  }
  fail(ELOOP, path);
  return result;
}

}  // namespace zviz::broker
