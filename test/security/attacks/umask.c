// The umask a created file gets, where the broker makes the file (strict,
// ci-runner) and where the kernel does (default, observe): every way a task's
// umask can come to differ from another's. Each case creates a file of the
// workspace with mode 0666 and says the mode it got:
//   NAME mode=OOO   (or NAME errno ENAME)
// The test compares every line with the bare kernel's. The broker knows the
// umask from the umask calls it sees (agent/native/src/broker/umask_tracker.h);
// a case it gets wrong shows here as a mode the kernel would not have given.
#include "attack.h"

#include <pthread.h>
#include <sched.h>
#include <sys/stat.h>

static void create(const char* name) {
  char path[64];
  snprintf(path, sizeof(path), "umask-%s", name);
  unlink(path);
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) {
    outcome(name, -1);
    return;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    outcome(name, -1);
  } else {
    say("%s mode=%03o", name, st.st_mode & 0777);
  }
  close(fd);
}

static void in_child(void (*body)(void)) {
  pid_t pid = fork();
  if (pid == 0) {
    body();
    _exit(0);
  }
  int status;
  waitpid(pid, &status, 0);
}

static void child_077(void) {
  umask(077);
  create("child-077");
}

static void child_plain(void) { create("child-after"); }
static void child_after_window(void) { create("child-after-window"); }

static void* thread_shared(void* arg) {
  (void)arg;
  umask(077);  // the process's threads share it (CLONE_FS)
  create("thread-077");
  return NULL;
}

// A thread made without CLONE_FS (clone itself: unshare is refused by most
// profiles) has an fs_struct, and so a umask, of its own.
static volatile int own_done;
static int thread_own(void* arg) {
  (void)arg;
  umask(027);
  create("thread-own-027");
  own_done = 1;
  syscall(SYS_exit, 0);  // this thread only
  return 0;
}

static void run_own_thread(void) {
  static char stack[256 * 1024] __attribute__((aligned(16)));
  own_done = 0;
  const int flags = CLONE_VM | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM | CLONE_FILES;  // no CLONE_FS
  if (clone(thread_own, stack + sizeof(stack), flags, NULL) < 0) {
    outcome("thread-own-clone", -1);
    return;
  }
  while (!own_done) sched_yield();
  usleep(10000);  // let it exit
}

static void run_thread(void* (*body)(void*)) {
  pthread_t t;
  if (pthread_create(&t, NULL, body, NULL) == 0) pthread_join(t, NULL);
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "after-exec") == 0) {
    create("after-exec");  // exec keeps the umask it was given
    return 0;
  }
  const mode_t start = umask(022);
  umask(start);
  say("initial umask=%03o", start);
  create("start");

  // Reading it the way programs do (umask(0), then back): nothing changes.
  mode_t old = umask(0);
  umask(old);
  create("after-read");
  create("after-read-again");

  // A child sets its own; the parent keeps its; children made later copy the parent's.
  in_child(child_077);
  create("parent-after-child");
  in_child(child_plain);

  // A task made while the value was changed copies the changed one.
  old = umask(0);
  pid_t pid = fork();
  if (pid == 0) {
    umask(0);  // no change: it has 0 already
    create("window-child");
    _exit(0);
  }
  umask(old);
  waitpid(pid, NULL, 0);
  create("window-parent");
  in_child(child_after_window);
  create("window-parent-again");

  // A thread shares its process's umask; one with an fs_struct of its own does not.
  run_thread(thread_shared);
  create("main-after-thread");
  umask(start);
  create("main-restored");
  run_own_thread();
  create("main-after-own-thread");

  // exec keeps it.
  umask(027);
  char self[4096];
  ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
  self[len > 0 ? len : 0] = '\0';
  pid = fork();
  if (pid == 0) {
    execl(self, argv[0], "after-exec", (char*)NULL);
    outcome("exec", -1);
    _exit(1);
  }
  waitpid(pid, NULL, 0);
  create("before-exec-parent");
  umask(start);
  create("end");
  return 0;
}
