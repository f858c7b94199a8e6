// Attack: opens whose answer an emulating broker could get wrong, each
// compared with the bare kernel's (the test runs this program outside any
// sandbox first). All of them stay in the workspace, where every profile
// allows them, so any difference is the broker's:
// - O_CREAT|O_EXCL and O_CREAT|O_NOFOLLOW on a dangling link (the kernel
//   never follows it: EEXIST, ELOOP, and the target is not created);
// - O_TMPFILE, linked in with linkat through /proc/self/fd, and with O_EXCL
//   (which forbids that link);
// - paths of 4,095 bytes (the longest), 4,096 (ENAMETOOLONG), a component
//   of 256, a path that ends at a page's end without its NUL (EFAULT) and one
//   whose NUL is the page's last byte;
// - reopens through /proc/self/fd/N of a pipe's ends, a socket, a memfd, a
//   pidfd, an epoll and an eventfd descriptor, a read-only descriptor of a
//   workspace file reopened for writing, and /proc/self/map_files.
// "NAME-exists yes|no" says whether a file an attempt must not create exists.
#include "attack.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>

static void exists(const char* name, const char* path) {
  struct stat st;
  say("%s-exists %s", name, lstat(path, &st) == 0 ? "yes" : "no");
}

static void reopen(const char* name, int fd, int flags) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
  int r = open(path, flags | O_CLOEXEC);
  outcome(name, r);
  if (r >= 0) close(r);
}

/** A path of `len` bytes naming ./NAME: "./" repeated, then the name's tail of "x"s padded to length. */
static char* long_path(size_t len, const char* name) {
  size_t n = strlen(name);
  char* p = malloc(len + 1);
  size_t prefix = len - n;
  if (prefix % 2) return NULL;
  for (size_t i = 0; i < prefix; i += 2) memcpy(p + i, "./", 2);
  memcpy(p + prefix, name, n + 1);
  return p;
}

int main(void) {
  int fd;
  // Dangling links.
  outcome("link-excl", symlink("excl-target", "excl-link"));
  outcome("excl-dangling", fd = open("excl-link", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (fd >= 0) close(fd);
  exists("excl-target", "excl-target");
  outcome("link-nofollow", symlink("nofollow-target", "nofollow-link"));
  outcome("nofollow-dangling", fd = open("nofollow-link", O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (fd >= 0) close(fd);
  exists("nofollow-target", "nofollow-target");
  outcome("link-chain", symlink("chain-2", "chain-1") | symlink("chain-target", "chain-2"));
  outcome("excl-chain", fd = open("chain-1", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (fd >= 0) close(fd);
  exists("chain-target", "chain-target");
  outcome("trunc-dangling", fd = open("excl-link", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (fd >= 0) close(fd);
  exists("trunc-target", "excl-target");

  // O_TMPFILE, then a name for it.
  char path[64];
  fd = open(".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
  outcome("tmpfile", fd);
  if (fd >= 0) {
    (void)!write(fd, "tmp\n", 4);
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    outcome("tmpfile-link", linkat(AT_FDCWD, path, AT_FDCWD, "tmp-linked", AT_SYMLINK_FOLLOW));
    close(fd);
  }
  fd = open(".", O_TMPFILE | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
  outcome("tmpfile-excl", fd);
  if (fd >= 0) {
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    outcome("tmpfile-excl-link", linkat(AT_FDCWD, path, AT_FDCWD, "tmp-excl-linked", AT_SYMLINK_FOLLOW));
    close(fd);
  }
  exists("tmp-excl-linked", "tmp-excl-linked");

  // Long paths.
  fd = open("lpath", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd >= 0) close(fd);
  char* p = long_path(4095, "lpath");
  outcome("path-4095", fd = open(p, O_RDONLY | O_CLOEXEC));
  if (fd >= 0) close(fd);
  outcome("path-4095-write", fd = open(p, O_WRONLY | O_CLOEXEC));
  if (fd >= 0) close(fd);
  free(p);
  p = long_path(4095, "lnew1");
  outcome("path-4095-create", fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
  if (fd >= 0) close(fd);
  free(p);
  p = long_path(4096, "lpathx");
  outcome("path-4096", fd = open(p, O_RDONLY | O_CLOEXEC));
  if (fd >= 0) close(fd);
  outcome("path-4096-create", fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
  if (fd >= 0) close(fd);
  free(p);
  char component[300];
  memset(component, 'c', 256);
  component[256] = '\0';
  outcome("component-256-create", fd = open(component, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
  if (fd >= 0) close(fd);
  component[255] = '\0';
  outcome("component-255-create", fd = open(component, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
  if (fd >= 0) close(fd);
  const long page = sysconf(_SC_PAGESIZE);
  char* pages = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(pages + page, (size_t)page);
  memcpy(pages + page - 5, "lpath", 5);  // no NUL before the unmapped page
  outcome("page-end-no-nul", fd = open(pages + page - 5, O_RDONLY | O_CLOEXEC));
  if (fd >= 0) close(fd);
  outcome("page-end-no-nul-create", fd = open(pages + page - 5, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
  if (fd >= 0) close(fd);
  memcpy(pages + page - 6, "lpath", 6);  // the NUL is the page's last byte
  outcome("page-end-nul", fd = open(pages + page - 6, O_WRONLY | O_CLOEXEC));
  if (fd >= 0) close(fd);
  // A long path that runs into the unmapped page.
  memset(pages, '/', (size_t)page);
  outcome("page-of-slashes", fd = open(pages, O_RDONLY | O_CLOEXEC));
  if (fd >= 0) close(fd);

  // Reopens through /proc/self/fd.
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) == 0) {
    reopen("pipe-read-end", pipefd[0], O_RDONLY);
    reopen("pipe-write-end", pipefd[1], O_WRONLY);
    reopen("pipe-read-end-rdwr", pipefd[0], O_RDWR);
    close(pipefd[1]);
    reopen("pipe-no-writer-nonblock", pipefd[0], O_RDONLY | O_NONBLOCK);
    reopen("pipe-no-reader-write-nonblock", pipefd[0], O_WRONLY | O_NONBLOCK);
    close(pipefd[0]);
  }
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  reopen("socket", s, O_RDWR);
  close(s);
  int m = memfd_create("odd", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  (void)!write(m, "memfd\n", 6);
  reopen("memfd", m, O_RDWR);
  fcntl(m, F_ADD_SEALS, F_SEAL_WRITE);
  reopen("memfd-sealed-write", m, O_WRONLY);
  close(m);
  int pid = (int)syscall(SYS_pidfd_open, getpid(), 0);
  reopen("pidfd", pid, O_RDONLY);
  close(pid);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  reopen("epoll", ep, O_RDONLY);
  close(ep);
  int ev = eventfd(0, EFD_CLOEXEC);
  reopen("eventfd", ev, O_RDWR);
  close(ev);
  fd = open("ro-file", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd >= 0) close(fd);
  int ro = open("ro-file", O_RDONLY | O_CLOEXEC);
  reopen("readonly-for-write", ro, O_WRONLY | O_APPEND);
  close(ro);
  // The mapping of this program's own text: map_files needs CAP_SYS_ADMIN or
  // CAP_CHECKPOINT_RESTORE of the node's user namespace.
  FILE* maps = fopen("/proc/self/maps", "re");
  char line[512];
  char range[128] = "";
  while (maps && fgets(line, sizeof(line), maps)) {
    unsigned long start, end;
    if (strstr(line, "open-parity") && sscanf(line, "%lx-%lx", &start, &end) == 2) {
      snprintf(range, sizeof(range), "%lx-%lx", start, end);  // map_files names have no leading zeros
      break;
    }
  }
  if (maps) fclose(maps);
  snprintf(line, sizeof(line), "/proc/self/map_files/%s", range);
  outcome("map-files", fd = open(line, O_RDONLY | O_CLOEXEC));
  if (fd >= 0) close(fd);
  say("finished ok");
  return 0;
}
