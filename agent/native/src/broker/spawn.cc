// The agent's side of starting a workload (spawn.h): everything the
// container's processes need is prepared here, where allocating and failing
// with a clear message are allowed, and written into the start plan
// (spawn_plan.h); one clone3 makes the container's first process (with its
// IPC and PID namespaces, straight into its v2 cgroup where it can), which
// shares the agent's memory until it executes zviz-spawn (spawn_launch.h);
// the plan goes to it over the bootstrap socket, and the bootstrap
// (spawn_bootstrap.cc) waits for the workload to hand over its seccomp
// listener. What zviz-spawn does lives in native/src/spawn/.
#include "broker/spawn.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstring>
#include <thread>

#include "broker/host_cgroup_mounts.h"
#include "broker/kernel.h"
#include "broker/sealed_program.h"
#include "broker/spawn_bootstrap.h"
#include "broker/spawn_deadline.h"
#include "broker/spawn_launch.h"
#include "broker/spawn_plan.h"

namespace zviz::broker {

namespace {

/** `name` in the directory the broker addon was loaded from. */
std::string NextToAddon(const char* name) {
  Dl_info info = {};
  if (dladdr(reinterpret_cast<void*>(&NextToAddon), &info) == 0 || info.dli_fname == nullptr) {
    return {};
  }
  std::string path = info.dli_fname;
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string(name) : path.substr(0, slash + 1) + name;
}

}  // namespace

std::string DefaultInitPath() { return NextToAddon("zviz-init"); }

std::string DefaultSpawnerPath() { return NextToAddon("zviz-spawn"); }

namespace {

std::string InitPath(const SpawnRequest& request) {
  return request.init_path.empty() ? DefaultInitPath() : request.init_path;
}

std::string SpawnerPath(const SpawnRequest& request) {
  return request.spawner_path.empty() ? DefaultSpawnerPath() : request.spawner_path;
}

/** The sealed copy of zviz-spawn or zviz-init (sealed_program.h), borrowed: never closed. */
std::string StartProgram(const std::string& path, const char* what, int* fd) {
  if (auto e = SealedProgram(path, fd); !e.empty()) {
    return std::string("cannot copy ") + what + " " + e + " (it is built with the broker addon: npm run build)";
  }
  return {};
}

}  // namespace

std::string SealStartPrograms(const SpawnRequest& request) {
  int fd = -1;
  if (auto e = StartProgram(SpawnerPath(request), "zviz-spawn", &fd); !e.empty()) {
    return e;
  }
  return request.pid_namespace ? StartProgram(InitPath(request), "the containers' init", &fd) : std::string();
}

namespace {

/** The first process's stack until it executes zviz-spawn (spawn_launch.h): a few frames of raw calls. */
constexpr size_t kLaunchStackBytes = 64 * 1024;

/**
 * How long the spawn thread waits for a killed first process to end before it
 * leaves the reaping to a thread of its own: a process in an uninterruptible
 * wait (a file system that does not answer) dies only when that wait ends,
 * and the spawn thread must not wait with it (spawn_deadline.h).
 */
constexpr int kKilledEndsWithinMs = 2'000;

void Reap(int pidfd) {
  siginfo_t info;
  while (waitid(P_PIDFD, static_cast<id_t>(pidfd), &info, WEXITED) < 0 && errno == EINTR) {
  }
}

/** A failed start leaves nothing running (spawn.h): the first process is killed and reaped, with the whole PID namespace. */
void KillAndWait(Spawned* out) {
  sys::PidfdSendSignal(out->pidfd.get(), SIGKILL);
  struct pollfd ended = {out->pidfd.get(), POLLIN, 0};
  int ready;
  do {
    ready = poll(&ended, 1, kKilledEndsWithinMs);
  } while (ready < 0 && errno == EINTR);
  if (ready == 1) {
    Reap(out->pidfd.get());
  } else {
    // Reaped when it does end; the zombie until then names no one else's pid.
    std::thread([pidfd = out->pidfd.release()] {
      Reap(pidfd);
      close(pidfd);
    }).detach();
  }
  out->pidfd.reset();
  out->pid = -1;
  out->listener.reset();
  out->mount_ns.reset();
}

/**
 * The view's steps as zviz-spawn reads them: paths checked, what lies under
 * a private tmpfs marked, and the allow-list view's symlinks read (here,
 * where the agent's view of the host is the one the profile names).
 */
std::string PlanMounts(const SpawnRequest& request, std::vector<std::string>* link_targets,
                       std::vector<bool>* under_tmpfs) {
  link_targets->assign(request.mounts.size(), std::string());
  under_tmpfs->assign(request.mounts.size(), false);
  for (size_t i = 0; i < request.mounts.size(); ++i) {
    const MountStep& step = request.mounts[i];
    if (step.path.empty() || step.path[0] != '/' || step.path.size() >= PATH_MAX) {
      return "mount paths must be absolute: " + step.path;
    }
    // A mask (or a pin) under a private tmpfs has nothing to hide there: the host's directory is not in the view.
    const bool own_step = step.kind == MountStep::Kind::kTmpfs || step.kind == MountStep::Kind::kMask ||
                          step.kind == MountStep::Kind::kPin;
    for (size_t j = 0; j < i && !own_step; ++j) {
      const std::string& outer = request.mounts[j].path;
      if (request.mounts[j].kind == MountStep::Kind::kTmpfs && step.path.size() > outer.size() &&
          step.path.compare(0, outer.size(), outer) == 0 && (outer == "/" || step.path[outer.size()] == '/')) {
        (*under_tmpfs)[i] = true;  // a workspace under a private /tmp
      }
    }
    // The allow-list view keeps the host's symlinks (/lib -> usr/lib) as links.
    struct stat st;
    if (request.allow_list && !own_step && lstat(step.path.c_str(), &st) == 0 &&
        S_ISLNK(st.st_mode)) {
      char target[PATH_MAX];
      const ssize_t n = readlink(step.path.c_str(), target, sizeof(target) - 1);
      if (n > 0) {
        (*link_targets)[i].assign(target, static_cast<size_t>(n));
      }
    }
  }
  return {};
}

/**
 * The host's cgroup file systems as the host view shows them, for the
 * container to mount again from its cgroup namespace (spawn/child.h): every
 * cgroup and cgroup2 mount of the agent's namespace that shows a whole
 * hierarchy, from /proc/self/mountinfo, read again only when the mount table
 * has changed (host_cgroup_mounts.h). A hierarchy is joined when one of the
 * container's cgroups lies below its mount point.
 */
std::string PlanCgroupMounts(const SpawnRequest& request, std::vector<plan::CgroupMountSpec>* out) {
  std::vector<HostCgroupMount> mounts;
  if (auto e = HostCgroupMounts::Get().Current(&mounts); !e.empty()) {
    return e;
  }
  for (HostCgroupMount& m : mounts) {
    out->push_back({std::move(m.path), std::move(m.fstype), std::move(m.options), false});
  }
  std::vector<std::string> joined = request.cgroup_v1_procs;
  if (!request.cgroup_v2.empty()) {
    joined.push_back(request.cgroup_v2 + "/");
  }
  for (plan::CgroupMountSpec& m : *out) {
    const std::string below = m.path + "/";
    m.joined = std::any_of(joined.begin(), joined.end(),
                           [&](const std::string& dir) { return dir.compare(0, below.size(), below) == 0; });
  }
  return {};
}

// Joining a cgroup by writing to cgroup.procs takes the kernel's global
// threadgroup lock for writing, which first waits for an RCU grace period
// (5 to 30 ms on a loaded 2-core machine, at every start); moving only the
// writing thread ("0" to a v1 tasks file) takes no such lock, nor does a
// clone into a cgroup. So the first process joins the v1 cgroups by their
// tasks files while it is still single-threaded (all of it moves), and the
// v2 cgroup by CLONE_INTO_CGROUP; where that cannot be used (SpawnWorkload),
// by writing its cgroup.procs.
struct CgroupJoin {
  std::vector<UniqueFd> files;  // written "0" by the first process
  std::vector<int> raw;  // the same, as the children read them
  UniqueFd v2_dir;  // CLONE_INTO_CGROUP's target, or none
};

std::string OpenCgroups(const SpawnRequest& request, bool into_v2, CgroupJoin* join) {
  std::vector<std::string> join_files;
  for (const std::string& procs : request.cgroup_v1_procs) {
    static const std::string kProcs = "/cgroup.procs";
    if (procs.size() <= kProcs.size() || procs.compare(procs.size() - kProcs.size(), kProcs.size(), kProcs) != 0) {
      return "not a cgroup.procs file: " + procs;
    }
    join_files.push_back(procs.substr(0, procs.size() - kProcs.size()) + "/tasks");
  }
  if (!request.cgroup_v2.empty()) {
    if (into_v2) {
      join->v2_dir.reset(open(request.cgroup_v2.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
      if (!join->v2_dir) {
        return "cannot open " + request.cgroup_v2 + ": " + strerror(errno);
      }
    } else {
      join_files.insert(join_files.begin(), request.cgroup_v2 + "/cgroup.procs");
    }
  }
  for (const std::string& file : join_files) {
    UniqueFd fd(open(file.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) {
      return "cannot open " + file + ": " + strerror(errno);
    }
    join->raw.push_back(fd.get());
    join->files.push_back(std::move(fd));
  }
  return {};
}

/** What the first process needs to become zviz-init, and the agent's end of its exit reports. */
struct InitEnds {
  int init = -1;  // zviz-init's sealed copy (borrowed)
  UniqueFd agent;  // a pidfd of the agent, for the init to see it die
  UniqueFd report_ours;
  UniqueFd report_theirs;
};

std::string PrepareInit(const SpawnRequest& request, InitEnds* ends) {
  if (auto e = StartProgram(InitPath(request), "the containers' init", &ends->init); !e.empty()) {
    return e;
  }
  ends->agent.reset(sys::PidfdOpen(getpid(), 0));
  int pair[2];
  if (!ends->agent || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
    return std::string("preparing the container's init: ") + strerror(errno);
  }
  ends->report_ours.reset(pair[0]);
  ends->report_theirs.reset(pair[1]);
  return {};
}

/**
 * One attempt. `into_v2`: the first process is cloned into the v2 cgroup
 * (CLONE_INTO_CGROUP) instead of writing its cgroup.procs; `killed_at_birth`
 * says when such a child was killed before it said a word.
 */
std::string SpawnOnce(const SpawnRequest& request, const StartDeadline& deadline, bool into_v2, bool* killed_at_birth,
                      Spawned* out) {
  if (request.program == nullptr || request.program->empty() || request.argv.empty()) {
    return "nothing to run";
  }
  for (int fd : request.stdio) {
    if (fd < 0) {
      return "stdin, stdout and stderr must be open descriptors";
    }
  }
  std::vector<std::string> link_targets;
  std::vector<bool> under_tmpfs;
  if (auto e = PlanMounts(request, &link_targets, &under_tmpfs); !e.empty()) {
    return e;
  }
  std::vector<plan::CgroupMountSpec> cgroup_mounts;
  if (!request.allow_list) {  // the allow-list view has no /sys
    if (auto e = PlanCgroupMounts(request, &cgroup_mounts); !e.empty()) {
      return e;
    }
  }
  CgroupJoin cgroups;
  if (auto e = OpenCgroups(request, into_v2, &cgroups); !e.empty()) {
    return e;
  }
  InitEnds init;
  if (request.pid_namespace) {
    if (auto e = PrepareInit(request, &init); !e.empty()) {
      return e;
    }
  }
  int spawner = -1;
  if (auto e = StartProgram(SpawnerPath(request), "zviz-spawn", &spawner); !e.empty()) {
    return e;
  }
  UniqueFd plan_fd;
  plan::PlanInput input = {&request, &link_targets, &under_tmpfs,
                           static_cast<uint32_t>(SECCOMP_FILTER_FLAG_NEW_LISTENER |
                                                 (request.wait_killable_recv ? SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV : 0)),
                           getpid(), static_cast<uint32_t>(cgroups.raw.size()), &cgroup_mounts};
  if (auto e = plan::Write(input, &plan_fd); !e.empty()) {
    return e;
  }
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
    return std::string("socketpair: ") + strerror(errno);
  }
  UniqueFd ours(pair[0]);
  UniqueFd theirs(pair[1]);
  // The workload's pid, as the agent sees it, comes with its first message.
  const int on = 1;
  if (setsockopt(ours.get(), SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) != 0) {
    return std::string("SO_PASSCRED: ") + strerror(errno);
  }

  // zviz-spawn's argv: its end of the bootstrap socket, which stays at the same number across the execve.
  const std::string sock_arg = std::to_string(theirs.get());
  char name[] = "zviz-spawn";
  char* const spawner_argv[] = {name, const_cast<char*>(sock_arg.c_str()), nullptr};
  char* const spawner_envp[] = {nullptr};
  const launch::Launch exec = {spawner, theirs.get(), spawner_argv, spawner_envp};
  std::vector<uint64_t> stack(kLaunchStackBytes / sizeof(uint64_t));

  // No signal may run an agent handler in the child: it starts with all of
  // them blocked, and zviz-spawn resets their dispositions before it unblocks any.
  sigset_t all, saved;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &saved);
  int pidfd = -1;
  struct clone_args args = {};
  // Every container has its own IPC namespace: System V IPC and POSIX message
  // queues of the host (and of other containers) are out of reach, and what
  // the workload makes ends with the container.
  args.flags = CLONE_PIDFD | CLONE_NEWIPC | (request.pid_namespace ? CLONE_NEWPID : 0);
  args.pidfd = reinterpret_cast<uint64_t>(&pidfd);
  args.exit_signal = SIGCHLD;
  if (cgroups.v2_dir) {
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = static_cast<uint64_t>(cgroups.v2_dir.get());
  }
  // The spawn thread waits inside clone3 until the first process has executed
  // zviz-spawn: only another thread can end that wait (spawn_deadline.h).
  LaunchWatch watch(deadline, &pidfd);
  if (!watch.error().empty()) {
    pthread_sigmask(SIG_SETMASK, &saved, nullptr);
    return watch.error();
  }
  const long pid = launch::CloneAndExec(&args, exec, stack.data(), stack.size() * sizeof(uint64_t));
  const int clone_error = errno;
  watch.Disarm();
  pthread_sigmask(SIG_SETMASK, &saved, nullptr);
  if (pid < 0) {
    return std::string("clone3: ") + strerror(clone_error);
  }
  out->pid = static_cast<pid_t>(pid);
  out->pidfd.reset(pidfd);
  if (watch.fired() || deadline.Passed()) {
    KillAndWait(out);
    out->timed_out = true;
    return StartTimedOut(deadline, "making the container's first process and executing zviz-spawn");
  }
  theirs.reset();
  cgroups.v2_dir.reset();

  // The plan and the descriptors zviz-spawn hands on (spawn_plan.h).
  std::vector<int> fds = {plan_fd.get(), request.stdio[0], request.stdio[1], request.stdio[2]};
  if (request.pid_namespace) {
    fds.insert(fds.end(), {init.init, init.report_theirs.get(), init.agent.get()});
  }
  fds.insert(fds.end(), cgroups.raw.begin(), cgroups.raw.end());
  bool closed = false;
  std::string error;
  if (plan::Send(ours.get(), fds.data(), fds.size()) != 0) {
    // A first process that is already gone says why, if it could, in TakeListener.
    if (errno != EPIPE && errno != ECONNRESET) {
      error = std::string("sending zviz-spawn its plan: ") + strerror(errno);
    }
  }
  init.report_theirs.reset();
  init.agent.reset();
  cgroups.files.clear();
  plan_fd.reset();
  if (error.empty()) {
    error = TakeListener(ours.get(), deadline, out, &closed);
  }
  if (!error.empty()) {
    if (closed) {
      // Every holder of the socket is gone or going without a word: see
      // whether and how the first process ended (its pidfd turns readable
      // when it has; a moment after its end of the socket closed). With a
      // PID namespace it may live on as the init while the workload died.
      struct pollfd ended = {out->pidfd.get(), POLLIN, 0};
      siginfo_t info = {};
      if (poll(&ended, 1, std::min(deadline.RemainingMs(), into_v2 ? 1000 : 100)) == 1 &&
          waitid(P_PIDFD, static_cast<id_t>(out->pidfd.get()), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
          info.si_pid != 0) {
        *killed_at_birth = into_v2 && info.si_code == CLD_KILLED && info.si_status == SIGKILL;
        error = info.si_code == CLD_EXITED
                    ? "the container's first process exited with code " + std::to_string(info.si_status) +
                          " before the workload installed its filter, without saying why"
                    : std::string("the container's first process was killed by signal ") +
                          std::to_string(info.si_status) + " (" + strsignal(info.si_status) +
                          ") before the workload installed its filter";
      }
    }
    KillAndWait(out);
    return error;
  }
  if (!out->mount_ns) {
    KillAndWait(out);
    return "the workload did not send its mount namespace";
  }
  if (!request.pid_namespace) {
    out->workload_pid = out->pid;
  }
  out->status = std::move(ours);
  out->exit_report = std::move(init.report_ours);
  return {};
}

}  // namespace

std::string SpawnWorkload(const SpawnRequest& request, Spawned* out) {
  // Not into a cgroup that once had cgroup.kill written: on Linux 6.18 the
  // child is then killed at birth (the clone compares the target's kill
  // sequence number with the one of the parent's own cgroup). A restarted
  // container's cgroup was killed at the end of its last run; a first start
  // whose child dies so all the same (the agent's own cgroup was killed once)
  // is tried again by cgroup.procs.
  const bool into_v2 = !request.cgroup_v2.empty() && request.cgroup_v2_fresh;
  bool killed_at_birth = false;
  const StartDeadline deadline(request.timeout_ms);
  std::string error = SpawnOnce(request, deadline, into_v2, &killed_at_birth, out);
  if (!error.empty() && killed_at_birth && !out->timed_out) {
    out->children_failed = false;
    error = SpawnOnce(request, deadline, false, &killed_at_birth, out);
  }
  return error;
}

}  // namespace zviz::broker
