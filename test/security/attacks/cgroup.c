// Getting out of the container's cgroup, or loosening it: moving a process
// to the root of each hierarchy (out of the memory and pids limits, and out of
// reach of the "end everything in the cgroup" cleanup), raising the limits
// from inside, allowing every device. Moves are tried by a child that ends at
// once, so nothing is left outside even where they work.
#include "attack.h"

#include <sys/stat.h>

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
