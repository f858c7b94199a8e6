// /proc/self/root and the other magic links of the workload's own /proc
// entries (root, cwd, fd/N, /dev/fd/N), and /proc/1/root (the host's init):
// ways to name a file outside the workspace that a check on the path as
// written would take for something else. Reads aim at the secret and
// /etc/shadow, writes at the outside directory.
#include "attack.h"

#include <pthread.h>
#include <sys/stat.h>

static const char* outside;
static const char* secret;
static pid_t second_tid;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int done;

static void* second_thread(void* arg) {
  (void)arg;
  pthread_mutex_lock(&mu);
  second_tid = (pid_t)syscall(SYS_gettid);
  pthread_cond_broadcast(&cv);
  while (!done) pthread_cond_wait(&cv, &mu);
  pthread_mutex_unlock(&mu);
  return NULL;
}

static const char* via(const char* prefix, const char* path) {
  static char out[8][1024];
  static int next;
  char* p = out[next++ % 8];
  snprintf(p, 1024, "%s%s", prefix, path);
  return p;
}

static const char* outside_file(const char* name) {
  static char out[8][512];
  static int next;
  char* p = out[next++ % 8];
  snprintf(p, 512, "%s/%s", outside, name);
  return p;
}

static void create(const char* name, const char* path) {
  int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (outcome(name, fd) >= 0) close(fd);
}

int main(void) {
  outside = need_env("ZVIZ_ATTACK_OUTSIDE");
  secret = need_env("ZVIZ_ATTACK_SECRET");
  char prefix[64];
  pthread_t thread;
  pthread_create(&thread, NULL, second_thread, NULL);
  pthread_mutex_lock(&mu);
  while (!second_tid) pthread_cond_wait(&cv, &mu);
  pthread_mutex_unlock(&mu);

  open_outcome("self-root-read", open(via("/proc/self/root", secret), O_RDONLY | O_CLOEXEC));
  open_outcome("thread-self-root-read", open(via("/proc/thread-self/root", secret), O_RDONLY | O_CLOEXEC));
  snprintf(prefix, sizeof(prefix), "/proc/%d/root", getpid());
  open_outcome("pid-root-read", open(via(prefix, secret), O_RDONLY | O_CLOEXEC));
  snprintf(prefix, sizeof(prefix), "/proc/%d/task/%d/root", getpid(), second_tid);
  open_outcome("task-root-read", open(via(prefix, secret), O_RDONLY | O_CLOEXEC));
  snprintf(prefix, sizeof(prefix), "/proc/%d/root", second_tid);
  open_outcome("tid-root-read", open(via(prefix, secret), O_RDONLY | O_CLOEXEC));
  open_outcome("init-root-read", open(via("/proc/1/root", secret), O_RDONLY | O_CLOEXEC));
  read_hash_outcome("self-root-etc-shadow", open("/proc/self/root/etc/shadow", O_RDONLY | O_CLOEXEC));
  read_hash_outcome("init-root-etc-shadow", open("/proc/1/root/etc/shadow", O_RDONLY | O_CLOEXEC));
  open_outcome("self-cwd-read", open("/proc/self/cwd/../outside/secret", O_RDONLY | O_CLOEXEC));
  int ws = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  snprintf(prefix, sizeof(prefix), "/proc/self/fd/%d/../outside/secret", ws);
  open_outcome("self-fd-dir-read", open(prefix, O_RDONLY | O_CLOEXEC));
  snprintf(prefix, sizeof(prefix), "/dev/fd/%d/../outside/secret", ws);
  open_outcome("dev-fd-dir-read", open(prefix, O_RDONLY | O_CLOEXEC));
  // The same through openat with a directory descriptor of the workspace.
  snprintf(prefix, sizeof(prefix), "../outside/secret");
  open_outcome("openat-ws-dotdot-read", openat(ws, prefix, O_RDONLY | O_CLOEXEC));

  create("self-root-create", via("/proc/self/root", outside_file("new-self-root")));
  create("thread-self-root-create", via("/proc/thread-self/root", outside_file("new-thread-self-root")));
  create("init-root-create", via("/proc/1/root", outside_file("new-init-root")));
  create("self-cwd-create", "/proc/self/cwd/../outside/new-self-cwd");
  snprintf(prefix, sizeof(prefix), "/proc/self/fd/%d/../outside/new-self-fd", ws);
  create("self-fd-dir-create", prefix);
  outcome("self-root-mkdir", mkdir(via("/proc/self/root", outside_file("new-self-root-dir")), 0755));
  outcome("init-root-mkdir", mkdir(via("/proc/1/root", outside_file("new-init-root-dir")), 0755));
  outcome("init-root-symlink", symlink("/etc/passwd", via("/proc/1/root", outside_file("new-init-root-link"))));
  outcome("init-cwd-chdir", chdir("/proc/1/cwd"));

  pthread_mutex_lock(&mu);
  done = 1;
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
  pthread_join(thread, NULL);
  return 0;
}
