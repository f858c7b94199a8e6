// Opens each PATH given as MODE:PATH (r, w, c for O_CREAT|O_WRONLY, a for
// openat2 read, d for a directory kept open for the paths after it) and
// prints one line per path: "PATH ok TARGET" with what the descriptor really
// is (and "fd N" for a kept directory), or "PATH errno NAME".
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char** argv) {
  for (int i = 1; i < argc; i++) {
    const char* arg = argv[i];
    char mode = arg[0];
    const char* path = arg + 2;
    int fd;
    if (mode == 'd') {
      fd = open(path, O_RDONLY | O_DIRECTORY);
    } else if (mode == 'a') {
      struct open_how how = {.flags = O_RDONLY};
      fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
    } else {
      int flags = mode == 'w' ? O_WRONLY : mode == 'c' ? (O_CREAT | O_WRONLY | O_TRUNC) : O_RDONLY;
      fd = openat(AT_FDCWD, path, flags | O_CLOEXEC, 0644);
    }
    if (fd < 0) {
      printf("%s errno %s\n", path, strerrorname_np(errno));
      continue;
    }
    char link[64], target[4096];
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, target, sizeof(target) - 1);
    target[n < 0 ? 0 : n] = '\0';
    if (mode == 'd') {
      printf("%s ok %s fd %d\n", path, target, fd);  // kept open for the paths after it
      continue;
    }
    int cloexec = fcntl(fd, F_GETFD) & FD_CLOEXEC;
    printf("%s ok %s%s\n", path, target, cloexec ? " cloexec" : "");
    close(fd);
  }
  return 0;
}
