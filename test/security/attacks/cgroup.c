// Getting out of the container's cgroup, or loosening it: moving a process
// to the root of each hierarchy (out of the memory and pids limits, and out of
// reach of the "end everything in the cgroup" cleanup), raising the limits
// from inside, allowing every device. Moves are tried by a child that ends at
// once, so nothing is left outside even where they work.
//
// clone3 with CLONE_INTO_CGROUP starts a child in the cgroup whose directory
// it is given: the kernel asks for write permission on the cgroup.procs
// file of the common ancestor, not for a writable mount, so the read-only
// cgroup file systems do not stop it. The child writes where it landed
// (./escaped-cgroup) and ends at once.
#include "attack.h"

#include <linux/sched.h>
#include <stdint.h>
#include <sys/stat.h>

static void clone_into(const char* name, const char* dir) {
  int cgroup = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cgroup < 0) {
    outcome(name, -1);
    return;
  }
  struct clone_args args;
  memset(&args, 0, sizeof(args));
  args.flags = CLONE_INTO_CGROUP;
  args.exit_signal = SIGCHLD;
  args.cgroup = (uint64_t)cgroup;
  long pid = syscall(SYS_clone3, &args, sizeof(args));
  if (pid == 0) {
    char line[512] = "";
    int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
    long n = fd >= 0 ? read(fd, line, sizeof(line) - 1) : -1;
    line[n > 0 ? n : 0] = '\0';
    int out = open("escaped-cgroup", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    (void)!write(out, line, strlen(line));
    _exit(0);
  }
  const int saved = errno;
  if (pid > 0) waitpid((pid_t)pid, NULL, 0);
  errno = saved;
  outcome(name, pid < 0 ? -1 : 0);
  close(cgroup);
}

static void move_self(const char* name, void* arg) {
  const char* procs = arg;
  int fd = open(procs, O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    outcome(name, -1);
    return;
  }
  outcome(name, write(fd, "0", 1));
  close(fd);
}

static void write_value(const char* name, const char* path, const char* value) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    outcome(name, -1);
    return;
  }
  outcome(name, write(fd, value, strlen(value)));
  close(fd);
}

/** The path of this process's cgroup in `controller` ("" for the unified hierarchy), from /proc/self/cgroup. */
static int own_cgroup(const char* controller, char* out, size_t size) {
  FILE* f = fopen("/proc/self/cgroup", "re");
  if (!f) return -1;
  char line[512];
  int found = -1;
  while (fgets(line, sizeof(line), f)) {
    char* first = strchr(line, ':');
    char* second = first ? strchr(first + 1, ':') : NULL;
    if (!second) continue;
    *second = '\0';
    line[strcspn(line, "\n")] = '\0';
    second[1 + strcspn(second + 1, "\n")] = '\0';
    if (strcmp(first + 1, controller) == 0) {
      snprintf(out, size, "%s", second + 1);
      found = 0;
    }
  }
  fclose(f);
  return found;
}

int main(void) {
  char own[512], path[1024];
  attempt("move-to-unified-root", move_self, "/sys/fs/cgroup/unified/cgroup.procs");
  attempt("move-to-memory-root", move_self, "/sys/fs/cgroup/memory/cgroup.procs");
  attempt("move-to-pids-root", move_self, "/sys/fs/cgroup/pids/cgroup.procs");
  clone_into("clone-into-unified-root", "/sys/fs/cgroup/unified");
  if (own_cgroup("", own, sizeof(own)) == 0) {
    snprintf(path, sizeof(path), "/sys/fs/cgroup/unified%s/memory.max", own);
    write_value("raise-unified-memory-max", path, "max");
    snprintf(path, sizeof(path), "/sys/fs/cgroup/unified%s/pids.max", own);
    write_value("raise-unified-pids-max", path, "max");
    snprintf(path, sizeof(path), "/sys/fs/cgroup/unified%s/escape", own);
    outcome("mkdir-unified-child", mkdir(path, 0755));
    rmdir(path);
  }
  if (own_cgroup("memory", own, sizeof(own)) == 0) {
    snprintf(path, sizeof(path), "/sys/fs/cgroup/memory%s/memory.limit_in_bytes", own);
    write_value("raise-memory-limit", path, "-1");
  }
  if (own_cgroup("pids", own, sizeof(own)) == 0) {
    snprintf(path, sizeof(path), "/sys/fs/cgroup/pids%s/pids.max", own);
    write_value("raise-pids-max", path, "max");
  }
  if (own_cgroup("devices", own, sizeof(own)) == 0) {
    snprintf(path, sizeof(path), "/sys/fs/cgroup/devices%s/devices.allow", own);
    write_value("devices-allow-all", path, "a");
  }
  return 0;
}
