// What the node mounts under /sys for its own administrators, which a
// container's /sys (the host view shows the node's, read-only) would carry
// along: debugfs, tracefs, securityfs, pstore, bpffs, configfs and fusectl.
// Read-only is not enough there: debugfs tells every task of the node
// (sched/debug, where /proc/sched_debug moved in Linux 5.13), tracefs tells
// kernel addresses (printk_formats) and a read of its trace_pipe consumes the
// events the node's tracers are waiting for.
//   kernel-mounts
// Environment: ZVIZ_ATTACK_TASK_NAME, the name of a task of the node to look
// for in sched/debug; ZVIZ_ATTACK_TRACE_INSTANCE, a tracefs instance whose
// buffer holds ZVIZ_ATTACK_TRACE_MARK, the event to consume.
// Lines: "NAME ok ENTRIES" for a directory, "NAME ok found=0|1" or
// "NAME ok nonzero=N" for a file, or "NAME errno ENAME".
#include "attack.h"

#include <dirent.h>

/**
 * Reads the whole file (non-blocking: a trace_pipe with nothing in it returns
 * at once) and says whether `needle` was in it; up to `tries` reads, as
 * sched/debug prints each CPU's tasks in turn and can miss one that moves.
 */
static void find(const char* name, const char* path, const char* needle, int tries) {
  static char text[4 << 20];
  int found = 0;
  for (int i = 0; i < tries && !found; i++) {
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
      outcome(name, -1);
      return;
    }
    size_t len = 0;
    ssize_t n;
    while (len < sizeof(text) - 1 && (n = read(fd, text + len, sizeof(text) - 1 - len)) > 0) len += (size_t)n;
    close(fd);
    text[len] = '\0';
    found = needle != NULL && needle[0] != '\0' && strstr(text, needle) != NULL;
  }
  say("%s ok found=%d", name, found);
}

/** Lines of printk_formats ("0xADDRESS : ...") whose address is not zero. */
static void addresses(const char* name, const char* path) {
  FILE* f = fopen(path, "re");
  if (f == NULL) {
    outcome(name, -1);
    return;
  }
  char line[512];
  long nonzero = 0;
  while (fgets(line, sizeof(line), f) != NULL) {
    if (strtoull(line, NULL, 16) != 0) nonzero++;
  }
  fclose(f);
  say("%s ok nonzero=%ld", name, nonzero);
}

int main(void) {
  const char* task = getenv("ZVIZ_ATTACK_TASK_NAME");
  const char* instance = getenv("ZVIZ_ATTACK_TRACE_INSTANCE");
  const char* mark = getenv("ZVIZ_ATTACK_TRACE_MARK");
  char path[512];

  entries("debugfs", "/sys/kernel/debug");
  find("sched-debug", "/sys/kernel/debug/sched/debug", task, 5);
  entries("tracefs", "/sys/kernel/tracing");
  addresses("printk-formats", "/sys/kernel/tracing/printk_formats");
  snprintf(path, sizeof(path), "/sys/kernel/tracing/instances/%s/trace_pipe", instance ? instance : "");
  find("trace-pipe", path, mark, 1);
  snprintf(path, sizeof(path), "/sys/kernel/tracing/instances/%s/trace_marker", instance ? instance : "");
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    outcome("trace-marker", -1);
  } else {
    static const char forged[] = "zviz-attack-forged-event";
    outcome("trace-marker", write(fd, forged, sizeof(forged) - 1));
    close(fd);
  }
  entries("securityfs", "/sys/kernel/security");
  entries("pstore", "/sys/fs/pstore");
  entries("bpffs", "/sys/fs/bpf");
  entries("configfs", "/sys/kernel/config");
  entries("fusectl", "/sys/fs/fuse/connections");
  say("finished ok");
  return 0;
}
