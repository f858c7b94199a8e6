// Attack: having the kernel run a program from where strict allows none
// (only system directories and the workspace) without ever naming it to
// execve: the broker judges the path execve names, and the kernel then loads
// more than that file.
//   shebang-tmp, shebang-memfd      a workspace script whose "#!" names a
//                                   program in /tmp, or a memfd
//                                   (/proc/self/fd/N)
//   shebang-spaced                  the same in /tmp, written "#! \t/tmp/..."
//                                   (no argument)
//   shebang-255                     a workspace script of exactly 255 bytes,
//                                   no newline: "#!" and a 253-byte path in
//                                   /tmp, which ends at the kernel's last
//                                   buffer byte (BINPRM_BUF_SIZE 256, NUL)
//   pt-interp-tmp, pt-interp-memfd  a workspace ELF whose program
//                                   interpreter (PT_INTERP) is in /tmp, or a
//                                   memfd
//   ldso-tmp, ldso-memfd            the system's own ld.so (in /lib64, an
//                                   allowed directory) asked to run a program
//                                   in /tmp, or a memfd
//   mmap-exec-tmp, mmap-exec-memfd  mapping such a file executable, which is
//                                   all a loader needs ("ok": mapped)
// And what every profile lets run, so that judging interpreters refuses
// nothing honest:
//   shebang-system                  a workspace script run by /bin/sh
//   shebang-relative                "#!./exec-tricks": the interpreter found
//                                   from the working directory, as the kernel
//                                   finds it
//   dyn-system                      a dynamically linked program whose
//                                   interpreter is the system's ld.so
// A program that ran prints "NAME ok" itself (exec-tricks with an argument,
// exec-interp, exec-dyn). Needs exec-interp and exec-dyn in the workspace.
#include "attack.h"

#include <sys/mman.h>
#include <sys/stat.h>

// exec-dyn's PT_INTERP as built (test/security/attacks/Makefile).
static const char kPlaceholder[] = "/zviz-exec-interp-placeholder-0123456789abcdef0123456789abcdef";

static int copy_fd(int from, int to) {
  char buf[65536];
  ssize_t n;
  if (lseek(from, 0, SEEK_SET) < 0) return -1;
  while ((n = read(from, buf, sizeof(buf))) > 0) {
    if (write(to, buf, (size_t)n) != n) return -1;
  }
  return n < 0 ? -1 : 0;
}

/** A new file at `to` (mode 0755) holding `from`, or -1. */
static int copy_file(const char* from, const char* to) {
  int in = open(from, O_RDONLY | O_CLOEXEC);
  int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
  int rc = in < 0 || out < 0 ? -1 : copy_fd(in, out);
  if (in >= 0) close(in);
  if (out >= 0) close(out);
  return rc;
}

/** A memfd holding the file `from`, not close-on-exec, or -1. */
static int memfd_of(const char* from) {
  int memfd = (int)syscall(SYS_memfd_create, "exec-tricks", 0);
  int in = open(from, O_RDONLY | O_CLOEXEC);
  int rc = memfd < 0 || in < 0 ? -1 : copy_fd(in, memfd);
  if (in >= 0) close(in);
  return rc == 0 ? memfd : -1;
}

/** A copy of exec-dyn at `to` whose program interpreter is `interp`. */
static int with_interp(const char* to, const char* interp) {
  static char image[4 << 20];
  size_t want = strlen(kPlaceholder);
  size_t len = strlen(interp);
  int in = open("./exec-dyn", O_RDONLY | O_CLOEXEC);
  if (in < 0 || len > want) return -1;
  ssize_t size = read(in, image, sizeof(image));
  close(in);
  if (size <= 0) return -1;
  char* at = memmem(image, (size_t)size, kPlaceholder, want);
  if (at == NULL) return -1;
  // Leading slashes keep the length: "////tmp/x" names /tmp/x.
  memset(at, '/', want - len);
  memcpy(at + want - len, interp, len);
  int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
  if (out < 0) return -1;
  int rc = write(out, image, (size_t)size) == size ? 0 : -1;
  close(out);
  return rc;
}

/** A script at `to` whose "#!" line runs `interp` with the argument `name`. */
static int script(const char* to, const char* interp, const char* name) {
  char text[256];
  int n = snprintf(text, sizeof(text), "#!%s %s\n", interp, name);
  int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
  if (out < 0) return -1;
  int rc = write(out, text, (size_t)n) == n ? 0 : -1;
  close(out);
  return rc;
}

/**
 * Runs `path` in a child with `argv`: a child whose exec failed prints its
 * errno; one that ran and failed (ld.so refused to load the program) "NAME exit N".
 */
static void run(const char* name, const char* path, char* const argv[]) {
  pid_t pid = fork();
  if (pid == 0) {
    char* envp[] = {NULL};
    execve(path, argv, envp);
    outcome(name, -1);
    _exit(0);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) != 0) say("%s exit %d", name, WEXITSTATUS(status));
  if (WIFSIGNALED(status)) say("%s killed SIG%s", name, sigabbrev_np(WTERMSIG(status)));
}

static void map_exec(const char* name, int fd) {
  void* at = fd < 0 ? MAP_FAILED : mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
  outcome(name, at == MAP_FAILED ? -1 : 0);
  if (at != MAP_FAILED) munmap(at, 4096);
}

static void setup(const char* what, int rc) {
  if (rc < 0) {
    outcome(what, -1);
    exit(2);
  }
}

int main(int argc, char** argv) {
  if (argc > 1) {
    say("%s ok", argv[1]);
    return 0;
  }
  // Names of its own: under default and observe /tmp is the host's.
  char self_tmp[64], interp_tmp[64], dyn_tmp[64];
  snprintf(self_tmp, sizeof(self_tmp), "/tmp/exec-tricks-self-%d", (int)getpid());
  snprintf(interp_tmp, sizeof(interp_tmp), "/tmp/exec-tricks-interp-%d", (int)getpid());
  snprintf(dyn_tmp, sizeof(dyn_tmp), "/tmp/exec-tricks-dyn-%d", (int)getpid());
  setup("setup-self-tmp", copy_file("/proc/self/exe", self_tmp));
  setup("setup-interp-tmp", copy_file("./exec-interp", interp_tmp));
  setup("setup-dyn-tmp", copy_file("./exec-dyn", dyn_tmp));
  int self_memfd = memfd_of("/proc/self/exe");
  int interp_memfd = memfd_of("./exec-interp");
  int dyn_memfd = memfd_of("./exec-dyn");
  setup("setup-memfd", self_memfd < 0 || interp_memfd < 0 || dyn_memfd < 0 ? -1 : 0);
  char self_fd[32], interp_fd[32], dyn_fd[32];
  snprintf(self_fd, sizeof(self_fd), "/proc/self/fd/%d", self_memfd);
  snprintf(interp_fd, sizeof(interp_fd), "/proc/self/fd/%d", interp_memfd);
  snprintf(dyn_fd, sizeof(dyn_fd), "/proc/self/fd/%d", dyn_memfd);

  setup("setup-shebang-tmp", script("./shebang-tmp", self_tmp, "shebang-tmp"));
  run("shebang-tmp", "./shebang-tmp", (char* const[]){"shebang-tmp", NULL});
  int sh = open("./shebang-system", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
  const char sh_text[] = "#!/bin/sh\necho shebang-system ok\n";
  setup("setup-shebang-system", sh < 0 || write(sh, sh_text, sizeof(sh_text) - 1) != (ssize_t)sizeof(sh_text) - 1 ? -1 : 0);
  close(sh);
  run("shebang-system", "./shebang-system", (char* const[]){"shebang-system", NULL});
  setup("setup-shebang-relative", script("./shebang-relative", "./exec-tricks", "shebang-relative"));
  run("shebang-relative", "./shebang-relative", (char* const[]){"shebang-relative", NULL});
  setup("setup-dyn-system", with_interp("./dyn-system", "/lib64/ld-linux-x86-64.so.2"));
  run("dyn-system", "./dyn-system", (char* const[]){"dyn-system", "dyn-system", NULL});

  // Spaces and a tab where the kernel skips them, no argument: the program
  // gets the script's path as its argv[1].
  char spaced[96];
  snprintf(spaced, sizeof(spaced), " \t%s", self_tmp);
  setup("setup-shebang-spaced", script("shebang-spaced", spaced, ""));
  run("shebang-spaced", "shebang-spaced", (char* const[]){"shebang-spaced", NULL});
  // The kernel looks for the name's end up to and with the buffer's last byte.
  char long_tmp[254];
  int at = snprintf(long_tmp, sizeof(long_tmp), "/tmp/exec-tricks-long-%d-", (int)getpid());
  memset(long_tmp + at, 'x', sizeof(long_tmp) - 1 - (size_t)at);
  long_tmp[sizeof(long_tmp) - 1] = '\0';
  setup("setup-long-tmp", copy_file("/proc/self/exe", long_tmp));
  char text255[255];
  memcpy(text255, "#!", 2);
  memcpy(text255 + 2, long_tmp, 253);
  int s255 = open("shebang-255", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
  setup("setup-shebang-255", s255 < 0 || write(s255, text255, sizeof(text255)) != (ssize_t)sizeof(text255) ? -1 : 0);
  close(s255);
  run("shebang-255", "shebang-255", (char* const[]){"shebang-255", NULL});
  unlink(long_tmp);
  setup("setup-shebang-memfd", script("./shebang-memfd", self_fd, "shebang-memfd"));
  run("shebang-memfd", "./shebang-memfd", (char* const[]){"shebang-memfd", NULL});

  setup("setup-pt-interp-tmp", with_interp("./pt-interp-tmp", interp_tmp));
  run("pt-interp-tmp", "./pt-interp-tmp", (char* const[]){"pt-interp-tmp", "pt-interp-tmp", NULL});
  setup("setup-pt-interp-memfd", with_interp("./pt-interp-memfd", interp_fd));
  run("pt-interp-memfd", "./pt-interp-memfd", (char* const[]){"pt-interp-memfd", "pt-interp-memfd", NULL});

  const char* ldso = "/lib64/ld-linux-x86-64.so.2";
  run("ldso-tmp", ldso, (char* const[]){"ld.so", dyn_tmp, "ldso-tmp", NULL});
  run("ldso-memfd", ldso, (char* const[]){"ld.so", dyn_fd, "ldso-memfd", NULL});

  int tmp_fd = open(self_tmp, O_RDONLY | O_CLOEXEC);
  map_exec("mmap-exec-tmp", tmp_fd);
  map_exec("mmap-exec-memfd", self_memfd);

  unlink(self_tmp);
  unlink(interp_tmp);
  unlink(dyn_tmp);
  say("finished ok");
  return 0;
}
