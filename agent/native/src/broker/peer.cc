#include "broker/peer.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "broker/host_proc.h"
#include "broker/kernel.h"
#include "common/unique_fd.h"

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif

namespace zviz::broker {
namespace {

/** At most this many ancestors are walked to find the init of a PID namespace. */
constexpr int kMaxDepth = 4096;

std::string ReadAt(int dir, const char* name, size_t limit) {
  UniqueFd fd(openat(dir, name, O_RDONLY | O_CLOEXEC));
  if (!fd) {
    return {};
  }
  std::string out;
  char buf[4096];
  while (out.size() < limit) {
    const ssize_t n = read(fd.get(), buf, sizeof(buf));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    out.append(buf, static_cast<size_t>(n));
  }
  return out.substr(0, limit);
}

/** The inode of namespace `kind` ("pid", "mnt") of the process whose /proc directory is `dir`; 0 when unknown. */
uint64_t NamespaceOf(int dir, const char* kind) {
  char path[32];
  snprintf(path, sizeof(path), "ns/%s", kind);
  struct stat st;
  return fstatat(dir, path, &st, 0) == 0 ? static_cast<uint64_t>(st.st_ino) : 0;
}

UniqueFd OpenProcDir(pid_t pid) {
  char name[24];
  snprintf(name, sizeof(name), "%d", pid);
  return UniqueFd(openat(HostProc(), name, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
}

pid_t ParentOf(int dir) {
  const std::string status = ReadAt(dir, "status", 64 * 1024);
  const size_t at = status.find("\nPPid:");
  return at == std::string::npos ? -1 : static_cast<pid_t>(strtol(status.c_str() + at + 6, nullptr, 10));
}

/**
 * The init of the PID namespace `ns` that `pid` is in: its ancestors are
 * walked while they stay in that namespace (every process of a PID namespace
 * descends from its init). Returns the init's pid, or -1.
 */
pid_t InitOfNamespace(pid_t pid, uint64_t ns) {
  pid_t current = pid;
  for (int depth = 0; depth < kMaxDepth; ++depth) {
    UniqueFd dir = OpenProcDir(current);
    if (!dir) {
      return -1;
    }
    const pid_t parent = ParentOf(dir.get());
    if (parent < 0) {
      return -1;
    }
    if (parent == 0) {
      return current;  // the host's init (or a process whose parent the agent cannot see)
    }
    UniqueFd up = OpenProcDir(parent);
    if (!up) {
      return -1;
    }
    const uint64_t parent_ns = NamespaceOf(up.get(), "pid");
    if (parent_ns == 0) {
      return -1;
    }
    if (parent_ns != ns) {
      return current;
    }
    current = parent;
  }
  return -1;
}

}  // namespace

Napi::Value PeerIdentity(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    Napi::TypeError::New(env, "peerIdentity(fd)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const int sock = info[0].As<Napi::Number>().Int32Value();
  struct ucred cred = {};
  socklen_t len = sizeof(cred);
  if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
    Napi::Error::New(env, std::string("SO_PEERCRED: ") + std::strerror(errno)).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("pid", cred.pid);
  out.Set("uid", cred.uid);
  out.Set("gid", cred.gid);
  out.Set("alive", false);
  // The process that connected, pinned: SO_PEERPIDFD names it whatever
  // happened to its pid since; pidfd_open (kernels before 6.5) only names
  // whoever has the pid now, which the liveness check below cannot tell apart.
  int raw = -1;
  socklen_t raw_len = sizeof(raw);
  bool pinned = true;
  if (getsockopt(sock, SOL_SOCKET, SO_PEERPIDFD, &raw, &raw_len) != 0) {
    pinned = false;
    raw = cred.pid > 0 ? sys::PidfdOpen(cred.pid, 0) : -1;
  }
  UniqueFd pidfd(raw);
  out.Set("pinned", pinned);
  if (cred.pid <= 0 || !pidfd) {
    return out;  // not in the agent's PID namespace, or gone
  }
  UniqueFd dir = OpenProcDir(cred.pid);
  // Alive after its /proc directory was opened: the directory is the peer's
  // (a pid is only reused once its process is gone).
  if (!dir || sys::PidfdSendSignal(pidfd.get(), 0) != 0) {
    return out;
  }
  out.Set("alive", true);
  const uint64_t pid_ns = NamespaceOf(dir.get(), "pid");
  const uint64_t mnt_ns = NamespaceOf(dir.get(), "mnt");
  if (pid_ns != 0) out.Set("pidNs", static_cast<double>(pid_ns));
  if (mnt_ns != 0) out.Set("mntNs", static_cast<double>(mnt_ns));
  out.Set("cgroup", ReadAt(dir.get(), "cgroup", 64 * 1024));
  struct stat own;
  if (pid_ns != 0 && fstatat(HostProc(), "self/ns/pid", &own, 0) == 0 && static_cast<uint64_t>(own.st_ino) != pid_ns) {
    const pid_t init = InitOfNamespace(cred.pid, pid_ns);
    UniqueFd init_dir = init > 0 ? OpenProcDir(init) : UniqueFd();
    char exe[4096];
    const ssize_t n = init_dir ? readlinkat(init_dir.get(), "exe", exe, sizeof(exe) - 1) : -1;
    // The peer still alive: its namespace's init is too (it dies last).
    if (n > 0 && sys::PidfdSendSignal(pidfd.get(), 0) == 0) {
      Napi::Object init_info = Napi::Object::New(env);
      init_info.Set("pid", init);
      init_info.Set("exe", std::string(exe, static_cast<size_t>(n)));
      out.Set("nsInit", init_info);
    } else {
      out.Set("nsInitError", init < 0 ? "the init of its PID namespace was not found" : std::strerror(errno));
    }
  }
  return out;
}

}  // namespace zviz::broker
