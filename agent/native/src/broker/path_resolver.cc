#include "broker/path_resolver.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <deque>

#include "broker/proc_status.h"
#include "broker/thread_caps.h"

namespace zviz::broker {
namespace {

constexpr int kMaxLinkHops = 40;  // the kernel's MAXSYMLINKS
constexpr int kMaxRaceRetries = 8;
constexpr int kMaxProcDepth = 32;
constexpr uint64_t kProcRootIno = 1;  // PROC_ROOT_INO
constexpr unsigned kBasicMask = STATX_TYPE | STATX_MODE | STATX_INO | STATX_UID | STATX_GID;

const char kAgentEntry[] = "names a /proc entry of the agent itself";
const char kForeignLink[] = "follows a magic link of a task other than the workload's own process";
const char kUnjudgeable[] = "names a /proc task directory whose task cannot be told";

uint64_t Dev(const sys::Statx& st) { return (static_cast<uint64_t>(st.dev_major) << 32) | st.dev_minor; }

bool SameObject(const sys::Statx& a, const sys::Statx& b) {
  return a.ino == b.ino && a.dev_major == b.dev_major && a.dev_minor == b.dev_minor && a.mnt_id == b.mnt_id;
}

bool IsNumber(const std::string& s) {
  if (s.empty() || s.size() > 10) {
    return false;
  }
  for (char c : s) {
    if (c < '0' || c > '9') {
      return false;
    }
  }
  return true;
}

/** openat2, retrying the transient EAGAIN that scoped resolution gives on concurrent renames. */
int Openat2(int dir, const char* path, uint64_t flags, uint64_t resolve) {
  struct open_how how = {};
  how.flags = flags;
  how.resolve = resolve;
  for (int attempt = 0;; ++attempt) {
    int fd = sys::Openat2(dir, path, &how);
    if (fd >= 0) {
      return fd;
    }
    if (errno == EINTR ||
        (errno == EAGAIN && !(resolve & RESOLVE_CACHED) && attempt < kMaxRaceRetries)) {
      continue;
    }
    return -errno;
  }
}

std::deque<std::string> Split(const std::string& path) {
  std::deque<std::string> parts;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) {
      j = path.size();
    }
    if (j > i) {
      parts.emplace_back(path, i, j - i);
    }
    i = j + 1;
  }
  return parts;
}

/** Nothing but "." left: the current object is the final one. */
bool OnlyDots(const std::deque<std::string>& parts) {
  for (const std::string& p : parts) {
    if (p != ".") {
      return false;
    }
  }
  return true;
}

/** The number a procfs "self" link shows the caller (the agent's tgid in that procfs' pid namespace); 0 if none. */
pid_t SelfIn(int dir, const char* name) {
  char text[32];
  ssize_t n = readlinkat(dir, name, text, sizeof(text) - 1);
  if (n <= 0) {
    return 0;
  }
  text[n] = '\0';
  return static_cast<pid_t>(std::strtol(text, nullptr, 10));
}

bool HasDotDot(const std::string& path) {
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) {
      j = path.size();
    }
    if (j - i == 2 && path[i] == '.' && path[i + 1] == '.') {
      return true;
    }
    i = j + 1;
  }
  return false;
}

std::string DirectoryOf(const std::string& path) { return path.substr(0, path.rfind('/')); }

}  // namespace

PathResolver::PathResolver(int proc, unsigned statx_mask)
    : proc_(proc), mask_(statx_mask | kBasicMask), agent_tgid_(getpid()) {}

bool PathResolver::IsProcfs(int fd, const sys::Statx& st) {
  const uint64_t dev = Dev(st);
  for (const auto& [known, is_proc] : procfs_devices_) {
    if (known == dev) {
      return is_proc;
    }
  }
  struct statfs fs;
  const bool is_proc = fstatfs(fd, &fs) == 0 && fs.f_type == PROC_SUPER_MAGIC;
  if (procfs_devices_.size() >= 64) {
    procfs_devices_.clear();
  }
  procfs_devices_.emplace_back(dev, is_proc);
  return is_proc;
}

/** One component-by-component walk (the slow path). */
struct PathResolver::Walk {
  enum class Place { kOther, kProcRoot, kProcTask, kProcOther };

  PathResolver& self;
  const Target& target;
  const ResolveRequest& req;
  UniqueFd cur;
  sys::Statx st{};
  Place place = Place::kOther;
  bool own = false;  // kProcTask: a task of the notifying task's thread group
  bool ids_read = false;
  bool ids_ok = false;
  TaskStatus ids;  // the notifying task, from the agent's /proc
  Resolved out;

  Walk(PathResolver& s, const Target& t, const ResolveRequest& r) : self(s), target(t), req(r) {}

  bool Fail(int error, const char* refusal = nullptr) {
    out.fd.reset();
    out.error = error;
    out.refusal = refusal;
    return false;
  }

  bool Stat(int fd, sys::Statx* into) {
    if (sys::StatxFd(fd, self.mask_, into) != 0) {
      return Fail(errno);
    }
    return true;
  }

  bool Proc(int fd, const sys::Statx& of) { return self.IsProcfs(fd, of); }

  const TaskStatus* Ids() {
    if (!ids_read) {
      ids_read = true;
      ids_ok = target.Status(&ids);
    }
    return ids_ok ? &ids : nullptr;
  }

  /**
   * The notifying task's (tgid, tid) as numbered by the procfs whose "self"
   * link shows the agent `agent_there` (0: the agent is not in that pid
   * namespace, so the procfs is the workload's own). False when unknown.
   */
  bool WorkloadIn(pid_t agent_there, pid_t* tgid, pid_t* tid) {
    const TaskStatus* s = Ids();
    if (s == nullptr) {
      return false;
    }
    if (agent_there == self.agent_tgid_) {
      *tgid = s->tgid;
      *tid = target.tid();
      return true;
    }
    if (agent_there == 0) {
      *tgid = s->ns_tgid;
      *tid = s->ns_pid;
      return true;
    }
    return false;  // a procfs of an ancestor pid namespace: numbers unknown
  }

  /**
   * Judges a directory just below a procfs root (`below_root`; else the top
   * of a bind mount of part of a procfs): refused if it is a task directory
   * of the agent's, or of a task that cannot be told; notes whether it is the
   * workload's own.
   */
  bool EnterTask(int dir, bool below_root) {
    UniqueFd status(openat(dir, "status", O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!status) {
      if (errno == ENOENT) {
        place = Place::kProcOther;  // a procfs directory that is not a task's (/proc/sys, ...)
        return true;
      }
      return Fail(EACCES, kUnjudgeable);
    }
    TaskStatus task;
    if (!below_root || !ReadTaskStatus(dir, "status", &task)) {
      // The task is gone, or its procfs root (and so its pid namespace) is out of sight.
      return Fail(EACCES, kUnjudgeable);
    }
    const pid_t agent_there = SelfIn(dir, "../self");
    if (agent_there != 0 && task.tgid == agent_there) {
      return Fail(EACCES, kAgentEntry);
    }
    pid_t tgid = 0, tid = 0;
    own = WorkloadIn(agent_there, &tgid, &tid) && task.tgid == tgid;
    place = Place::kProcTask;
    return true;
  }

  /** Where a descriptor reached other than by a name from its parent stands (a base, a link's target, ".."). */
  bool Classify() {
    own = false;
    if (!Proc(cur.get(), st)) {
      place = Place::kOther;
      return true;
    }
    if (st.ino == kProcRootIno) {
      place = Place::kProcRoot;
      return true;
    }
    if (!S_ISDIR(st.mode)) {
      return Fail(ENOTDIR);  // only directories are walked from
    }
    // Up to the directory below the procfs root (or the top of a bind mount of part of one).
    UniqueFd top(fcntl(cur.get(), F_DUPFD_CLOEXEC, 3));
    sys::Statx top_st = st;
    for (int depth = 0; depth < kMaxProcDepth; ++depth) {
      UniqueFd up(openat(top.get(), "..", O_PATH | O_DIRECTORY | O_CLOEXEC));
      sys::Statx up_st;
      if (!up || !Stat(up.get(), &up_st)) {
        return Fail(EACCES, kUnjudgeable);
      }
      if (up_st.ino == kProcRootIno && Proc(up.get(), up_st)) {
        return EnterTask(top.get(), true);
      }
      if (!Proc(up.get(), up_st) || SameObject(up_st, top_st)) {
        return EnterTask(top.get(), false);
      }
      top = std::move(up);
      top_st = up_st;
    }
    return Fail(EACCES, kUnjudgeable);
  }

  bool MoveTo(UniqueFd next, const sys::Statx& next_st) {
    cur = std::move(next);
    st = next_st;
    return true;
  }

  bool Start(int dir) {
    UniqueFd copy(fcntl(dir, F_DUPFD_CLOEXEC, 3));
    if (!copy) {
      return Fail(errno);
    }
    sys::Statx copy_st;
    if (!Stat(copy.get(), &copy_st)) {
      return false;
    }
    MoveTo(std::move(copy), copy_st);
    return Classify();
  }

  bool Run(bool from_root) {
    const uint64_t resolve = req.resolve;
    const bool absolute = !req.path.empty() && req.path[0] == '/';
    if (absolute && (resolve & RESOLVE_BENEATH)) {
      return Fail(EXDEV);
    }
    // Where ".." stops and absolute links restart: the workload's root, or its dirfd under RESOLVE_IN_ROOT.
    const int walk_root = (resolve & RESOLVE_IN_ROOT) ? req.base : req.root;
    sys::Statx root_st, base_st;
    if (!Stat(walk_root, &root_st) || !Stat(req.base, &base_st)) {
      return false;
    }
    if (!Start(from_root ? req.root : req.base)) {
      return false;
    }
    const bool must_dir = req.path.back() == '/' || (req.open_flags & O_DIRECTORY);
    std::deque<std::string> parts = Split(req.path);
    int hops = 0;
    while (!parts.empty()) {
      const std::string name = std::move(parts.front());
      parts.pop_front();
      const bool last = OnlyDots(parts);
      if (name == ".") {
        continue;
      }
      if (name == "..") {
        if (SameObject(st, root_st)) {
          continue;  // ".." at the root stays there
        }
        if ((resolve & RESOLVE_BENEATH) && SameObject(st, base_st)) {
          return Fail(EXDEV);
        }
        UniqueFd up(openat(cur.get(), "..", O_PATH | O_DIRECTORY | O_CLOEXEC));
        sys::Statx up_st;
        if (!up) {
          return Fail(errno);
        }
        if (!Stat(up.get(), &up_st)) {
          return false;
        }
        if ((resolve & RESOLVE_NO_XDEV) && up_st.mnt_id != st.mnt_id) {
          return Fail(EXDEV);
        }
        const Place was = place;
        MoveTo(std::move(up), up_st);
        if (was == Place::kProcTask && Proc(cur.get(), st) && st.ino != kProcRootIno) {
          continue;  // still below the same /proc/<pid>
        }
        if (!Classify()) {
          return false;
        }
        continue;
      }
      if (place == Place::kProcRoot && (name == "self" || name == "thread-self")) {
        // Links whose text the kernel makes up for the reader: for the broker
        // they would name the agent. They name the notifying task.
        if (resolve & RESOLVE_NO_SYMLINKS) {
          return Fail(ELOOP);
        }
        if (++hops > kMaxLinkHops) {
          return Fail(ELOOP);
        }
        pid_t tgid = 0, tid = 0;
        if (!WorkloadIn(SelfIn(cur.get(), "self"), &tgid, &tid)) {
          return Fail(ENOENT);
        }
        if (name == "thread-self") {
          parts.push_front(std::to_string(tid));
          parts.push_front("task");
        }
        parts.push_front(std::to_string(tgid));
        continue;
      }
      int found = Openat2(cur.get(), name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC,
                          RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_BENEATH);
      if ((found == -EACCES || found == -EPERM) && place == Place::kProcTask && own) {
        // The workload's own entries (fdinfo/, ...) are always open to the
        // workload itself; the broker is a peer, which the kernel asks for
        // CAP_SYS_PTRACE over the workload's user namespace (thread_caps.h).
        PtraceOverride override;
        if (override.active()) {
          found = Openat2(cur.get(), name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC,
                          RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_BENEATH);
        }
      }
      if (found < 0) {
        return Fail(-found);
      }
      UniqueFd next(found);
      sys::Statx next_st;
      if (!Stat(next.get(), &next_st)) {
        return false;
      }
      if ((resolve & RESOLVE_NO_XDEV) && next_st.mnt_id != st.mnt_id) {
        return Fail(EXDEV);
      }
      if (S_ISLNK(next_st.mode)) {
        if (last && (req.open_flags & O_NOFOLLOW) && req.path.back() != '/') {
          if (req.open_flags & O_DIRECTORY) {
            return Fail(ENOTDIR);
          }
          MoveTo(std::move(next), next_st);
          break;  // the link itself (O_PATH | O_NOFOLLOW)
        }
        if ((resolve & RESOLVE_NO_SYMLINKS) || ++hops > kMaxLinkHops) {
          return Fail(ELOOP);
        }
        if (Proc(next.get(), next_st) && place == Place::kProcTask) {
          // A link inside a /proc/<pid> is a magic link (fd/N, cwd, root,
          // exe, ns/*, map_files/*): only the workload's own.
          if (resolve & (RESOLVE_NO_MAGICLINKS | RESOLVE_BENEATH | RESOLVE_IN_ROOT)) {
            return Fail(ELOOP);
          }
          if (!own) {
            return Fail(EACCES, kForeignLink);
          }
          // `cur` is bound to the workload's task: the kernel follows its
          // link for the broker as for any process with its credentials.
          UniqueFd target_fd(openat(cur.get(), name.c_str(), O_PATH | O_CLOEXEC));
          if (!target_fd && (errno == EACCES || errno == EPERM)) {
            PtraceOverride override;  // the workload's own links (thread_caps.h)
            if (override.active()) {
              target_fd.reset(openat(cur.get(), name.c_str(), O_PATH | O_CLOEXEC));
            }
          }
          if (!target_fd) {
            return Fail(errno);
          }
          sys::Statx target_st;
          if (!Stat(target_fd.get(), &target_st)) {
            return false;
          }
          MoveTo(std::move(target_fd), target_st);
          if (last) {
            out.own_link = true;
            break;
          }
          if (!Classify()) {
            return false;
          }
          continue;
        }
        // A plain link (the procfs root's "mounts" and "net" are plain links to "self/..."): read it.
        char text[PATH_MAX];
        const ssize_t n = readlinkat(cur.get(), name.c_str(), text, sizeof(text));
        if (n < 0) {
          return Fail(errno);
        }
        if (n == 0) {
          return Fail(ENOENT);
        }
        if (static_cast<size_t>(n) >= sizeof(text)) {
          return Fail(ENAMETOOLONG);
        }
        const std::string link(text, static_cast<size_t>(n));
        std::deque<std::string> spliced = Split(link);
        if (link.back() == '/' && spliced.empty()) {
          spliced.push_back(".");
        }
        for (auto it = spliced.rbegin(); it != spliced.rend(); ++it) {
          parts.push_front(*it);
        }
        if (link[0] == '/') {
          if (resolve & RESOLVE_BENEATH) {
            return Fail(EXDEV);
          }
          if (!Start(walk_root)) {
            return false;
          }
        }
        continue;
      }
      if (!last && !S_ISDIR(next_st.mode)) {
        return Fail(ENOTDIR);
      }
      const Place from = place;
      MoveTo(std::move(next), next_st);
      if (from == Place::kProcRoot) {
        if (S_ISDIR(st.mode) && IsNumber(name)) {
          if (!EnterTask(cur.get(), true)) {
            return false;
          }
        } else {
          place = Place::kProcOther;  // /proc/sys, /proc/cpuinfo, ...
          own = false;
        }
      } else if (from == Place::kOther && Proc(cur.get(), st)) {
        if (!Classify()) {  // onto a procfs mount
          return false;
        }
      }
      // Below a /proc/<pid> (or another procfs directory) the place stays.
    }
    if (must_dir && !S_ISDIR(st.mode)) {
      return Fail(ENOTDIR);
    }
    out.fd = std::move(cur);
    out.st = st;
    out.error = 0;
    out.own_task = place == Place::kProcTask && own;
    return true;
  }
};

bool PathResolver::LinkedBefore(const std::string& path) const {
  const std::string dir = DirectoryOf(path);
  for (const std::string& known : linked_dirs_) {
    if (known == dir) {
      return true;
    }
  }
  return false;
}

void PathResolver::NoteLinked(const std::string& path) {
  linked_dirs_[next_linked_] = DirectoryOf(path);
  next_linked_ = (next_linked_ + 1) % linked_dirs_.size();
}

Resolved PathResolver::Fast(const ResolveRequest& request, bool from_root, bool literal) {
  Resolved out;
  const int dir = from_root ? request.root : request.base;
  const uint64_t flags = O_PATH | O_CLOEXEC | (request.open_flags & (O_NOFOLLOW | O_DIRECTORY));
  const uint64_t resolve = request.resolve | RESOLVE_NO_MAGICLINKS | (from_root ? RESOLVE_IN_ROOT : 0);
  int found = -ELOOP;
  if (literal) {
    // With RESOLVE_NO_SYMLINKS the kernel either walks exactly the path's
    // names or stops with ELOOP at the first link; any other outcome is the
    // one the plain walk below would reach at the same component.
    found = Openat2(dir, request.path.c_str(), flags, resolve | RESOLVE_NO_SYMLINKS);
    out.literal = found >= 0;
    if (found == -ELOOP && !(request.resolve & RESOLVE_NO_SYMLINKS)) {
      NoteLinked(request.path);
    }
  }
  if (found == -ELOOP && !(literal && (request.resolve & RESOLVE_NO_SYMLINKS))) {
    found = Openat2(dir, request.path.c_str(), flags, resolve);
  }
  if (found < 0) {
    out.error = -found;
    return out;
  }
  out.fd.reset(found);
  if (sys::StatxFd(found, mask_, &out.st) != 0) {
    out.error = errno;
    out.fd.reset();
    out.literal = false;
  }
  return out;
}

Resolved PathResolver::Slow(const Target& target, const ResolveRequest& request, bool from_root) {
  if (request.resolve & RESOLVE_CACHED) {
    Resolved out;
    out.error = EAGAIN;  // not answerable from the dentry cache alone: the caller retries without it
    return out;
  }
  Walk walk(*this, target, request);
  walk.Run(from_root);
  return std::move(walk.out);
}

Resolved PathResolver::Resolve(const Target& target, const ResolveRequest& request) {
  const bool absolute = request.path[0] == '/';
  // Absolute paths start at the workload's root, unless its openat2 flags
  // make them relative to its dirfd (IN_ROOT) or refuse them (BENEATH).
  const bool from_root = absolute && !(request.resolve & (RESOLVE_BENEATH | RESOLVE_IN_ROOT));
  const bool literal =
      from_root && request.root_is_own && !HasDotDot(request.path) && !LinkedBefore(request.path);
  Resolved fast = Fast(request, from_root, literal);
  if (fast.fd) {
    if (!IsProcfs(fast.fd.get(), fast.st)) {
      return fast;  // not on a procfs: nothing there can name the agent
    }
    fast.literal = false;  // the slow walk below names it
  } else if (fast.error == ELOOP && (request.resolve & (RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS))) {
    return fast;  // the workload asked for this ELOOP itself
  } else if (fast.error == ENOENT && MissingForAll(request, from_root, &fast)) {
    return fast;
  }
  // A procfs object, a magic link on the way (refused by the fast path), or a
  // failure that may have come from the agent's view of "self": walk it
  // again, one component at a time, judging every /proc/<pid>.
  return Slow(target, request, from_root);
}

Resolved PathResolver::ResolveForCreate(const Target& target, const ResolveRequest& request) {
  const std::string& path = request.path;
  const size_t slash = path.rfind('/');
  const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  if (name.empty() || name == "." || name == "..") {
    return Resolve(target, request);
  }
  const bool from_root = path[0] == '/' && !(request.resolve & (RESOLVE_BENEATH | RESOLVE_IN_ROOT));
  ResolveRequest parent = request;
  parent.path = slash == std::string::npos ? std::string(".") : (slash == 0 ? std::string("/") : path.substr(0, slash));
  parent.open_flags = O_DIRECTORY;
  // Literal as MissingForAll resolves a directory part (the hint is kept by the directory's own path).
  const bool literal = from_root && request.root_is_own && !HasDotDot(path) && !LinkedBefore(parent.path);
  Resolved dir = Fast(parent, from_root, literal);
  if (!dir.fd || IsProcfs(dir.fd.get(), dir.st)) {
    return Resolve(target, request);  // the slow walk judges every /proc/<pid> on the way
  }
  // One name, no link followed: the walk cannot leave the directory, and the
  // workload's own RESOLVE_NO_XDEV and RESOLVE_CACHED still hold for it.
  const int found = Openat2(dir.fd.get(), name.c_str(),
                            O_PATH | O_NOFOLLOW | O_CLOEXEC | (request.open_flags & O_DIRECTORY),
                            RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_BENEATH |
                                (request.resolve & (RESOLVE_NO_XDEV | RESOLVE_CACHED)));
  Resolved out;
  if (found == -ENOENT) {
    // Missing from a directory off any procfs, found with the workload's own
    // root and bases: everyone's ENOENT, and the directory to create in.
    out.error = ENOENT;
    out.missing_in = std::move(dir.fd);
    out.missing_in_st = dir.st;
    out.missing_in_literal = dir.literal;
    return out;
  }
  if (found < 0) {
    return Resolve(target, request);
  }
  out.fd.reset(found);
  if (sys::StatxFd(found, mask_, &out.st) != 0 || S_ISLNK(out.st.mode) || IsProcfs(found, out.st)) {
    return Resolve(target, request);  // a link to follow (or refuse), or a procfs mounted here
  }
  out.literal = dir.literal;  // the directory by exactly its names, then one plain name
  return out;
}

bool PathResolver::MissingForAll(const ResolveRequest& request, bool from_root, Resolved* out) {
  // The fast path follows "self" as the agent, so its ENOENT may be the
  // agent's (/dev/fd/63: the agent has no descriptor 63). It is everyone's
  // when a missing name sits in an existing directory off any procfs: find
  // the deepest existing ancestor and look the next name up in it.
  std::string path = request.path;
  if (path.back() == '/') {
    return false;
  }
  for (int depth = 0; depth < 8; ++depth) {
    const size_t slash = path.rfind('/');
    const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
    if (name.empty() || name == "." || name == "..") {
      return false;
    }
    ResolveRequest parent = request;
    parent.path = slash == std::string::npos ? std::string(".") : (slash == 0 ? std::string("/") : path.substr(0, slash));
    parent.open_flags = O_DIRECTORY;
    // The directory part as Resolve would resolve it (literal when it could
    // be), so a create can use it as it is (Resolved::missing_in).
    const bool literal = depth == 0 && from_root && parent.path[0] == '/' && request.root_is_own &&
                         !HasDotDot(parent.path) && !LinkedBefore(parent.path);
    Resolved dir = Fast(parent, from_root, literal);
    if (!dir.fd) {
      if (dir.error != ENOENT || parent.path == "." || parent.path == "/") {
        return false;
      }
      path = parent.path;  // a missing ancestor: look one level up
      continue;
    }
    if (IsProcfs(dir.fd.get(), dir.st)) {
      return false;
    }
    const int probe = Openat2(dir.fd.get(), name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC,
                              RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_BENEATH);
    if (probe >= 0) {
      close(probe);  // it exists (a link?): the ENOENT came from elsewhere
      return false;
    }
    if (probe != -ENOENT) {
      return false;
    }
    if (depth == 0) {
      out->missing_in = std::move(dir.fd);
      out->missing_in_st = dir.st;
      out->missing_in_literal = dir.literal;
    }
    return true;
  }
  return false;
}

}  // namespace zviz::broker
