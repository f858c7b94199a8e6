// openat2 and its RESOLVE_* flags, which an emulating broker must honour
// exactly (a broker that dropped RESOLVE_BENEATH or RESOLVE_IN_ROOT would
// hand out what the workload itself asked never to get), and malformed
// open_how structures (sizes, unknown bits), which must fail as the kernel
// fails them rather than confuse the broker.
#include "attack.h"

#include <linux/openat2.h>
#include <sys/mman.h>

static long openat2_call(int dirfd, const char* path, void* how, size_t size) {
  return syscall(SYS_openat2, dirfd, path, how, size);
}

static void try_how(const char* name, int dirfd, const char* path, unsigned long long flags,
                    unsigned long long resolve) {
  struct open_how how;
  memset(&how, 0, sizeof(how));
  how.flags = flags | O_CLOEXEC;
  how.resolve = resolve;
  if (flags & O_CREAT) how.mode = 0644;
  long fd = openat2_call(dirfd, path, &how, sizeof(how));
  // A ".." walk under RESOLVE_IN_ROOT or RESOLVE_BENEATH answers EAGAIN when
  // a mount or rename anywhere on the node raced it (openat2(2): retry);
  // other containers starting meanwhile make mounts.
  for (int i = 0; i < 1000 && fd < 0 && errno == EAGAIN && (resolve & (RESOLVE_IN_ROOT | RESOLVE_BENEATH)); i++) {
    fd = openat2_call(dirfd, path, &how, sizeof(how));
  }
  if (fd >= 0 && (flags & O_ACCMODE) != O_RDONLY) {
    outcome(name, fd);
    close((int)fd);
    return;
  }
  open_outcome(name, (int)fd);
}

int main(void) {
  const char* outside = need_env("ZVIZ_ATTACK_OUTSIDE");
  const char* secret = need_env("ZVIZ_ATTACK_SECRET");
  char path[1024];
  int ws = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int fd = open("secret", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);  // the decoy RESOLVE_IN_ROOT finds
  if (fd < 0 || write(fd, "decoy\n", 6) != 6) return 2;
  close(fd);
  (void)!symlink(secret, "to-secret");
  (void)!symlink("/secret", "to-root-secret");

  try_how("plain-read-secret", AT_FDCWD, secret, O_RDONLY, 0);
  try_how("beneath-dotdot", ws, "../outside/secret", O_RDONLY, RESOLVE_BENEATH);
  try_how("beneath-absolute", ws, secret, O_RDONLY, RESOLVE_BENEATH);
  try_how("beneath-symlink-out", ws, "to-secret", O_RDONLY, RESOLVE_BENEATH);
  try_how("beneath-create-out", ws, "../outside/new-beneath", O_WRONLY | O_CREAT, RESOLVE_BENEATH);
  // RESOLVE_IN_ROOT: "/" and ".." stop at the directory: these find the decoy, or nothing.
  try_how("in-root-absolute", ws, "/secret", O_RDONLY, RESOLVE_IN_ROOT);
  try_how("in-root-dotdot", ws, "../../../../secret", O_RDONLY, RESOLVE_IN_ROOT);
  try_how("in-root-symlink", ws, "to-root-secret", O_RDONLY, RESOLVE_IN_ROOT);
  try_how("in-root-symlink-out", ws, "to-secret", O_RDONLY, RESOLVE_IN_ROOT);
  snprintf(path, sizeof(path), "/../..%s/new-in-root", outside);
  try_how("in-root-create-out", ws, path, O_WRONLY | O_CREAT, RESOLVE_IN_ROOT);
  // An absolute path under RESOLVE_IN_ROOT names the directory's own tree, missing or created there.
  try_how("in-root-absolute-missing", ws, "/missing-in-root", O_RDONLY, RESOLVE_IN_ROOT);
  try_how("in-root-absolute-create", ws, "/created-in-root", O_WRONLY | O_CREAT, RESOLVE_IN_ROOT);
  try_how("no-symlinks", ws, "to-secret", O_RDONLY, RESOLVE_NO_SYMLINKS);
  snprintf(path, sizeof(path), "/proc/self/root%s", secret);
  try_how("no-magiclinks-self-root", AT_FDCWD, path, O_RDONLY, RESOLVE_NO_MAGICLINKS);
  snprintf(path, sizeof(path), "/proc/self/fd/%d/../outside/secret", ws);
  try_how("no-magiclinks-self-fd", AT_FDCWD, path, O_RDONLY, RESOLVE_NO_MAGICLINKS);
  try_how("no-xdev-dotdot", ws, "../outside/secret", O_RDONLY, RESOLVE_NO_XDEV);
  try_how("no-xdev-create-out", ws, "../outside/new-no-xdev", O_WRONLY | O_CREAT, RESOLVE_NO_XDEV);

  // Malformed open_how.
  struct {
    struct open_how how;
    unsigned long long extra[4];
  } big;
  memset(&big, 0, sizeof(big));
  big.how.flags = O_RDONLY | O_CLOEXEC;
  open_outcome("size-zero", (int)openat2_call(ws, "secret", &big, 0));
  open_outcome("size-too-small", (int)openat2_call(ws, "secret", &big, 16));
  open_outcome("size-larger-zeros", (int)openat2_call(ws, "secret", &big, sizeof(big)));
  big.extra[2] = 1;
  open_outcome("size-larger-nonzero", (int)openat2_call(ws, "secret", &big, sizeof(big)));
  big.extra[2] = 0;
  open_outcome("size-huge", (int)openat2_call(ws, "secret", &big, 1 << 20));
  open_outcome("how-null", (int)openat2_call(ws, "secret", NULL, sizeof(struct open_how)));
  big.how.resolve = 1ULL << 40;
  open_outcome("resolve-unknown-bit", (int)openat2_call(ws, "secret", &big, sizeof(big.how)));
  big.how.resolve = 0;
  big.how.flags = O_RDONLY | (1ULL << 40);
  open_outcome("flags-unknown-bit", (int)openat2_call(ws, "secret", &big, sizeof(big.how)));
  big.how.flags = O_RDONLY;
  big.how.mode = 0644;
  open_outcome("mode-without-create", (int)openat2_call(ws, "secret", &big, sizeof(big.how)));
  // Flags the kernel refuses before it looks at the path (build_open_flags).
  big.how.mode = 0;
  big.how.flags = O_RDONLY;
  big.how.resolve = RESOLVE_BENEATH | RESOLVE_IN_ROOT;
  open_outcome("beneath-and-in-root", (int)openat2_call(ws, "secret", &big, sizeof(big.how)));
  big.how.resolve = RESOLVE_CACHED;
  big.how.flags = O_WRONLY | O_CREAT;
  big.how.mode = 0644;
  open_outcome("cached-create", (int)openat2_call(ws, "cached-create", &big, sizeof(big.how)));
  big.how.resolve = 0;
  big.how.flags = O_PATH | O_CREAT;
  open_outcome("path-with-create", (int)openat2_call(ws, "path-with-create", &big, sizeof(big.how)));
  big.how.flags = O_RDONLY | O_CREAT | O_DIRECTORY;
  open_outcome("create-directory", (int)openat2_call(ws, "create-directory", &big, sizeof(big.how)));
  big.how.flags = O_WRONLY | O_CREAT;
  big.how.mode = 0100644;  // S_IFREG is not a permission bit
  open_outcome("mode-file-type", (int)openat2_call(ws, "mode-file-type", &big, sizeof(big.how)));
  big.how.mode = 0;
  // open and openat mask unknown flags and stray modes, but refuse these combinations too.
  open_outcome("openat-create-directory", openat(ws, "openat-create-directory", O_RDONLY | O_CREAT | O_DIRECTORY, 0644));
  open_outcome("openat-tmpfile-read-only", openat(ws, ".", O_RDONLY | O_TMPFILE, 0600));
  // An open_how that ends where the mapped memory ends: the broker must read exactly `size` bytes.
  long page = sysconf(_SC_PAGESIZE);
  char* two = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(two + page, (size_t)page);
  struct open_how* edge = (struct open_how*)(two + page - sizeof(struct open_how));
  memset(edge, 0, sizeof(*edge));
  edge->flags = O_RDONLY | O_CLOEXEC;
  open_outcome("how-at-page-end", (int)openat2_call(ws, "secret", edge, sizeof(*edge)));
  open_outcome("how-past-page-end", (int)openat2_call(ws, "secret", edge, sizeof(*edge) + 8));
  // A non-zero byte beyond the struct, before unmapped memory: the kernel scans the tail first.
  struct open_how* tail = (struct open_how*)(two + page - sizeof(struct open_how) - 8);
  memset(tail, 0, sizeof(*tail) + 8);
  tail->flags = O_RDONLY | O_CLOEXEC;
  two[page - 1] = 1;
  open_outcome("tail-nonzero-then-unmapped", (int)openat2_call(ws, "secret", tail, sizeof(*tail) + 16));
  // Exactly a page, all zero beyond the struct: accepted.
  memset(two, 0, (size_t)page);
  ((struct open_how*)two)->flags = O_RDONLY | O_CLOEXEC;
  open_outcome("size-page", (int)openat2_call(ws, "secret", two, (size_t)page));
  // A path that ends where the mapped memory ends, without its terminating NUL.
  big.how.mode = 0;
  memcpy(two + page - 6, "secret", 6);
  open_outcome("path-without-nul", (int)openat2_call(ws, two + page - 6, &big.how, sizeof(big.how)));
  return 0;
}
