// Plays the agent's side of a start for zviz-spawn and hands it malformed
// start plans (plan-decoder.test.ts). The base plan is the agent's own
// (spawn_plan.cc writes it from a request); each case changes it or the
// message that carries it, executes zviz-spawn with its end of a
// SOCK_SEQPACKET pair, reads the first message it sends and how it ended.
//
// The base plan asks zviz-spawn to join one "cgroup": a file of ours, into
// which the first step after the plan writes "0". A plan refused before
// anything was acted on leaves it empty.
//
// Usage: driver ZVIZ-SPAWN RANDOM-CASES SEED. One line per case:
//   NAME failure STEP ERRNO-NAME cgroup-written=0|1 exit CODE (STEP: "plan", or step-N of spawn_bootstrap.h)
//   NAME message TYPE cgroup-written=0|1 (a later step asked the agent something: the plan was taken)
//   NAME signal SIGNAME ... (zviz-spawn crashed)
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "broker/spawn_bootstrap.h"
#include "broker/spawn_plan.h"

using namespace zviz;
using namespace zviz::broker;

namespace {

struct Case {
  std::string plan;  // the plan's bytes as written to its descriptor
  plan::PlanMessage message = {plan::kMagic, plan::kVersion, 0, 0};
  bool fix_count = true;  // message.fd_count = the number of descriptors sent
  int extra_fds = 0;  // more descriptors than the plan names (copies of /dev/null)
  int drop_fds = 0;  // fewer, from the end
  size_t message_size = sizeof(plan::PlanMessage);
  int plan_fd_flags = O_RDWR;  // how the plan's descriptor is opened again
  bool plan_as_pipe = false;
  bool no_fds = false;
};

std::string BasePlan() {
  SpawnRequest request;
  request.file = "/bin/true";
  request.argv = {"true", "an argument"};
  request.env = {"PATH=/usr/bin:/bin"};
  request.cwd = "/";
  request.pid_namespace = false;
  request.mounts = {{MountStep::Kind::kReadOnly, "/usr"}};
  BpfProgram allow = {{static_cast<uint16_t>(BPF_RET | BPF_K), 0, 0, SECCOMP_RET_ALLOW}};
  request.program = &allow;
  std::vector<std::string> links(1);
  std::vector<bool> under_tmpfs(1, false);
  std::vector<plan::CgroupMountSpec> cgroup_mounts = {{"/sys/fs/cgroup", "cgroup2", "", false}};
  plan::PlanInput input = {&request, &links, &under_tmpfs, SECCOMP_FILTER_FLAG_NEW_LISTENER, getpid(), 1,
                           &cgroup_mounts};
  UniqueFd fd;
  if (auto e = plan::Write(input, &fd); !e.empty()) {
    fprintf(stderr, "plan::Write: %s\n", e.c_str());
    exit(2);
  }
  struct stat st;
  fstat(fd.get(), &st);
  std::string bytes(static_cast<size_t>(st.st_size), '\0');
  if (pread(fd.get(), bytes.data(), bytes.size(), 0) != st.st_size) {
    perror("reading the plan");
    exit(2);
  }
  return bytes;
}

plan::WirePlan* Header(std::string& plan) { return reinterpret_cast<plan::WirePlan*>(plan.data()); }

int PlanDescriptor(const Case& c) {
  if (c.plan_as_pipe) {
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) return -1;
    (void)!write(p[1], c.plan.data(), std::min<size_t>(c.plan.size(), 4096));
    close(p[1]);
    return p[0];
  }
  const int fd = memfd_create("fuzzed-plan", MFD_CLOEXEC);
  if (fd < 0 || write(fd, c.plan.data(), c.plan.size()) != static_cast<ssize_t>(c.plan.size())) return -1;
  if (c.plan_fd_flags == O_RDWR) return fd;
  char path[64];
  snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
  const int again = open(path, c.plan_fd_flags | O_CLOEXEC);
  close(fd);
  return again;
}

std::string ErrnoName(int e) {
  const char* name = strerrorname_np(e);
  return name ? name : std::to_string(e);
}

/** Runs zviz-spawn on one case; its line. */
std::string Run(const char* spawner, const std::string& name, const Case& c) {
  char cgroup_path[] = "/tmp/zviz-plan-cgroup-XXXXXX";
  const int cgroup = mkstemp(cgroup_path);
  unlink(cgroup_path);
  const int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  const int plan_fd = PlanDescriptor(c);
  int pair[2];
  if (cgroup < 0 || null_fd < 0 || plan_fd < 0 || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
    return name + " setup-failed " + ErrnoName(errno);
  }
  const pid_t pid = fork();
  if (pid == 0) {
    fcntl(pair[1], F_SETFD, 0);
    const std::string fd = std::to_string(pair[1]);
    dup2(null_fd, 0);
    dup2(null_fd, 1);
    execl(spawner, "zviz-spawn", fd.c_str(), static_cast<char*>(nullptr));
    _exit(99);
  }
  close(pair[1]);
  std::vector<int> fds = {plan_fd, null_fd, null_fd, null_fd, cgroup};
  for (int i = 0; i < c.extra_fds; ++i) fds.push_back(null_fd);
  fds.resize(fds.size() - std::min<size_t>(fds.size(), static_cast<size_t>(c.drop_fds)));
  plan::PlanMessage message = c.message;
  if (c.fix_count) message.fd_count = static_cast<uint32_t>(fds.size());
  std::vector<char> control(CMSG_SPACE(sizeof(int) * fds.size()));
  struct iovec iov = {&message, std::min(c.message_size, sizeof(message))};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (!c.no_fds && !fds.empty()) {
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
    struct cmsghdr* cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    memcpy(CMSG_DATA(cm), fds.data(), sizeof(int) * fds.size());
  }
  std::string line = name;
  if (sendmsg(pair[0], &msg, MSG_NOSIGNAL) < 0) {
    line += " send-failed " + ErrnoName(errno);
  }
  close(plan_fd);
  // The first message: a failure, or a later step's question (the plan was taken).
  child::Message reply = {};
  alarm(10);
  const ssize_t n = read(pair[0], &reply, sizeof(reply));
  alarm(0);
  close(pair[0]);  // the agent hangs up: whatever it waits for now fails
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  char written = 0;
  const bool wrote = pread(cgroup, &written, 1, 0) == 1;
  close(cgroup);
  close(null_fd);
  const std::string cgroup_written = std::string(" cgroup-written=") + (wrote ? "1" : "0");
  if (WIFSIGNALED(status)) {
    const char* sig = sigabbrev_np(WTERMSIG(status));
    return line + " signal SIG" + (sig ? sig : "?") + cgroup_written;
  }
  if (n == static_cast<ssize_t>(sizeof(reply)) && reply.type == child::kFailure) {
    const std::string step = reply.a == child::kStepPlan ? "plan" : "step-" + std::to_string(reply.a);
    return line + " failure " + step + " " + ErrnoName(reply.b) + cgroup_written + " exit " +
           std::to_string(WEXITSTATUS(status));
  }
  if (n == static_cast<ssize_t>(sizeof(reply))) {
    return line + " message " + std::to_string(reply.type) + cgroup_written;
  }
  return line + " silent exit " + std::to_string(WEXITSTATUS(status)) + cgroup_written;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: driver ZVIZ-SPAWN RANDOM-CASES SEED\n");
    return 2;
  }
  signal(SIGALRM, [](int) {});
  const char* spawner = argv[1];
  const std::string base = BasePlan();
  const auto edit = [&](const std::function<void(Case&)>& change) {
    Case c;
    c.plan = base;
    change(c);
    return c;
  };
  const auto header = [&](const std::function<void(plan::WirePlan&)>& change) {
    return edit([&](Case& c) { change(*Header(c.plan)); });
  };
  const uint64_t size = base.size();
  const plan::WirePlan& h = *reinterpret_cast<const plan::WirePlan*>(base.data());
  std::vector<std::pair<std::string, Case>> cases = {
      {"base", edit([](Case&) {})},
      {"plan-empty", edit([](Case& c) { c.plan.clear(); })},
      {"plan-short-of-header", edit([](Case& c) { c.plan.resize(sizeof(plan::WirePlan) - 1); })},
      {"plan-truncated", edit([](Case& c) { c.plan.resize(c.plan.size() / 2); })},
      {"plan-longer-than-said", edit([](Case& c) { c.plan.append(64, '\0'); })},
      {"plan-magic", header([](plan::WirePlan& w) { w.magic ^= 1; })},
      {"plan-version", header([](plan::WirePlan& w) { w.version += 1; })},
      {"plan-size-over", header([&](plan::WirePlan& w) { w.size = size + 8; })},
      {"plan-size-huge", header([](plan::WirePlan& w) { w.size = ~uint64_t{0}; })},
      {"file-outside", header([&](plan::WirePlan& w) { w.file = size; })},
      {"file-none", header([](plan::WirePlan& w) { w.file = 0; })},
      {"file-unterminated", edit([&](Case& c) {
         // The last string runs to the plan's end without its NUL.
         c.plan.back() = 'x';
         Header(c.plan)->file = size - 1;
       })},
      {"cwd-outside", header([](plan::WirePlan& w) { w.cwd = ~uint64_t{0} - 3; })},
      {"argv-misaligned", header([](plan::WirePlan& w) { w.argv += 1; })},
      {"argv-outside", header([&](plan::WirePlan& w) { w.argv = size; })},
      {"argv-unterminated", edit([&](Case& c) {
         // The array's every slot names a string, to the plan's end: no 0 ends it.
         const uint64_t at = (size - 8 * 4) & ~uint64_t{7};
         for (uint64_t o = at; o + 8 <= size; o += 8) memcpy(c.plan.data() + o, &h.file, 8);
         Header(c.plan)->argv = at;
       })},
      {"argv-string-outside", edit([&](Case& c) {
         const uint64_t outside = size + 100;
         memcpy(c.plan.data() + h.argv, &outside, 8);
       })},
      {"envp-wraps", edit([&](Case& c) {
         const uint64_t wraps = ~uint64_t{0} - 7;
         memcpy(c.plan.data() + h.envp, &wraps, 8);
       })},
      {"read-dirs-outside", header([&](plan::WirePlan& w) { w.view_read_dirs = size; })},
      {"read-dirs-over-argv", header([](plan::WirePlan& w) { w.view_read_dirs = w.argv; })},
      {"read-dirs-string-outside", edit([&](Case& c) {
         const uint64_t outside = size + 100;
         memcpy(c.plan.data() + h.view_read_dirs, &outside, 8);
       })},
      {"mounts-count-huge", header([](plan::WirePlan& w) { w.mount_count = uint64_t{1} << 40; })},
      // 2^62 + 1 mounts: their sizes (x 24, 32 and 4 bytes) wrap around to a few bytes each.
      {"mounts-count-wraps", header([](plan::WirePlan& w) { w.mount_count = (uint64_t{1} << 62) + 1; })},
      {"mounts-outside", header([&](plan::WirePlan& w) { w.mounts = size - 8; })},
      {"mount-path-outside", edit([&](Case& c) {
         auto* m = reinterpret_cast<plan::WireMount*>(c.plan.data() + h.mounts);
         m->path = size;
       })},
      {"mount-kind-unknown", edit([&](Case& c) {
         auto* m = reinterpret_cast<plan::WireMount*>(c.plan.data() + h.mounts);
         m->kind = 9;
       })},
      {"mount-link-outside", edit([&](Case& c) {
         auto* m = reinterpret_cast<plan::WireMount*>(c.plan.data() + h.mounts);
         m->link_target = size * 2;
       })},
      {"scratch-outside", header([&](plan::WirePlan& w) { w.scratch_mounts = size - 4; })},
      {"trees-misaligned", header([](plan::WirePlan& w) { w.scratch_trees += 4; })},
      // What zviz-spawn writes (scratch rooms, argv turned into pointers) over what it reads.
      {"scratch-over-scratch", header([](plan::WirePlan& w) { w.scratch_trees = w.scratch_mounts; })},
      {"scratch-over-the-strings", header([](plan::WirePlan& w) { w.scratch_trees = w.file & ~uint64_t{7}; })},
      {"scratch-over-the-header", header([](plan::WirePlan& w) { w.scratch_mounts = 0; })},
      {"scratch-over-the-filter", header([](plan::WirePlan& w) { w.scratch_cgroup_mounts = w.prog; })},
      {"argv-is-envp", header([](plan::WirePlan& w) { w.envp = w.argv; })},
      {"cgroup-mounts-too-many", header([](plan::WirePlan& w) { w.cgroup_mount_count = 65; })},
      // 2^59 + 1 of 32 bytes each (and as many scratch rooms): 32 bytes once wrapped.
      {"cgroup-mounts-count-wraps", header([](plan::WirePlan& w) { w.cgroup_mount_count = (uint64_t{1} << 59) + 1; })},
      {"cgroup-mount-fstype-outside", edit([&](Case& c) {
         auto* m = reinterpret_cast<plan::WireCgroupMount*>(c.plan.data() + h.cgroup_mounts);
         m->fstype = size;
       })},
      {"prog-empty", header([](plan::WirePlan& w) { w.prog_len = 0; })},
      {"prog-too-long", edit([&](Case& c) {
         // Longer than the kernel takes, all of it inside the plan.
         const uint64_t at = (c.plan.size() + 7) & ~uint64_t{7};
         c.plan.resize(at + (BPF_MAXINSNS + 1) * sizeof(struct sock_filter), '\0');
         Header(c.plan)->prog = at;
         Header(c.plan)->prog_len = BPF_MAXINSNS + 1;
         Header(c.plan)->size = c.plan.size();
       })},
      {"prog-outside", header([&](plan::WirePlan& w) { w.prog = size; })},
      {"flags-pid-namespace-without-its-fds", header([](plan::WirePlan& w) { w.flags |= plan::kPidNamespace; })},
      {"cgroup-count-more-than-sent", header([](plan::WirePlan& w) { w.cgroup_count = 2; })},
      {"cgroup-count-wraps", header([](plan::WirePlan& w) { w.cgroup_count = ~uint32_t{0} - 3; })},
      {"message-magic", edit([](Case& c) { c.message.magic = 0; })},
      {"message-version", edit([](Case& c) { c.message.version = plan::kVersion + 1; })},
      {"message-short", edit([](Case& c) { c.message_size = sizeof(plan::PlanMessage) - 1; })},
      {"message-count-differs", edit([](Case& c) {
         c.fix_count = false;
         c.message.fd_count = 4;
       })},
      {"message-no-descriptors", edit([](Case& c) { c.no_fds = true; })},
      {"descriptors-too-few", edit([](Case& c) { c.drop_fds = 2; })},
      {"descriptors-one-more", edit([](Case& c) { c.extra_fds = 1; })},
      {"descriptors-over-the-limit", edit([](Case& c) { c.extra_fds = static_cast<int>(plan::kMaxFds); })},
      {"plan-descriptor-write-only", edit([](Case& c) { c.plan_fd_flags = O_WRONLY; })},
      {"plan-descriptor-a-pipe", edit([](Case& c) { c.plan_as_pipe = true; })},
  };
  for (const auto& [name, c] : cases) {
    printf("%s\n", Run(spawner, name, c).c_str());
    fflush(stdout);
  }
  // Random corruption of the header and of the bytes after it: whatever the
  // plan says, zviz-spawn refuses it or goes on, and never crashes.
  std::mt19937_64 random(std::strtoull(argv[3], nullptr, 10));
  const long count = std::strtol(argv[2], nullptr, 10);
  for (long i = 0; i < count; ++i) {
    Case c;
    c.plan = base;
    const int flips = 1 + static_cast<int>(random() % 4);
    for (int f = 0; f < flips; ++f) {
      // Mostly the header, where every offset and count lives.
      const size_t at = random() % 4 != 0 ? random() % sizeof(plan::WirePlan) : random() % c.plan.size();
      c.plan[at] = static_cast<char>(random() % 2 ? random() : c.plan[at] ^ (1 << (random() % 8)));
    }
    printf("%s\n", Run(spawner, "random-" + std::to_string(i), c).c_str());
    fflush(stdout);
  }
  return 0;
}
