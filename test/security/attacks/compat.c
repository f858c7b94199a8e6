// Other syscall ABIs of an x86_64 kernel: i386 through `int $0x80` (its own
// syscall numbers, 32-bit pointers) and x32 (x86_64 numbers with bit 30 set).
// A filter that covers only the x86_64 table must not let them through: the
// i386 `open` is number 5, which x86_64 calls `fstat`. Each attempt runs in
// a child, since a foreign ABI kills its process under most profiles.
#include "attack.h"

#include <sys/mman.h>

#define X32_BIT 0x40000000L

static char* low;  // memory below 4 GiB, for i386 pointers
static const char* outside;
static const char* secret;

static long put(const char* text, int slot) {
  char* at = low + slot * 512;
  snprintf(at, 512, "%s", text);
  return (long)(unsigned long)at;
}

static void report_int80(const char* name, long rc) {
  if (rc < 0 && rc > -4096) {
    errno = (int)-rc;
    rc = -1;
  }
  outcome(name, rc);
}

static void i386_open_secret(const char* name, void* arg) {
  (void)arg;
  long fd = int80(5 /* open */, put(secret, 0), O_RDONLY, 0);
  if (fd < 0) {
    report_int80(name, fd);
    return;
  }
  long n = int80(3 /* read */, fd, (long)(unsigned long)(low + 2048), 256);
  if (n > 0) {
    char text[513];
    hex(text, (unsigned char*)low + 2048, (size_t)n);
    say("%s read %s", name, text);
  } else {
    say("%s ok", name);
  }
}

static void i386_path_call(const char* name, void* arg) {
  long nr = (long)arg;
  char path[512];
  snprintf(path, sizeof(path), "%s/new-i386-%ld", outside, nr);
  long rc;
  switch (nr) {
    case 8: rc = int80(8 /* creat */, put(path, 0), 0644, 0); break;
    case 39: rc = int80(39 /* mkdir */, put(path, 0), 0755, 0); break;
    case 83: rc = int80(83 /* symlink */, put("/etc/passwd", 1), put(path, 0), 0); break;
    case 10: rc = int80(10 /* unlink */, put(need_env("ZVIZ_ATTACK_VICTIM"), 0), 0, 0); break;
    case 15: rc = int80(15 /* chmod */, put(need_env("ZVIZ_ATTACK_VICTIM"), 0), 0777, 0); break;
    case 295: rc = int80(295 /* openat */, AT_FDCWD, put(path, 0), O_WRONLY | O_CREAT); break;
    default: rc = -ENOSYS;
  }
  report_int80(name, rc);
}

static void i386_plain(const char* name, void* arg) {
  long nr = (long)arg;
  long rc;
  if (nr == 21 /* mount */) {
    rc = int80(21, put("none", 0), put(".", 1), put("tmpfs", 2));
  } else if (nr == 26 /* ptrace */) {
    rc = int80(26, 16 /* PTRACE_ATTACH */, getppid(), 0);
  } else if (nr == 310 /* unshare */) {
    rc = int80(310, 0x10000000 /* CLONE_NEWUSER */, 0, 0);
  } else if (nr == 425 /* io_uring_setup */) {
    rc = int80(425, 4, put("", 0), 0);
  } else {
    rc = int80(nr, 0, 0, 0);
  }
  report_int80(name, rc);
}

static void x32_open_secret(const char* name, void* arg) {
  (void)arg;
  long fd = syscall(X32_BIT | 2 /* open */, secret, O_RDONLY, 0);
  open_outcome(name, (int)fd);
}

static void x32_create(const char* name, void* arg) {
  (void)arg;
  char path[512];
  snprintf(path, sizeof(path), "%s/new-x32", outside);
  long fd = syscall(X32_BIT | 2 /* open */, path, O_WRONLY | O_CREAT, 0644);
  if (outcome(name, fd) >= 0) close((int)fd);
}

static void x32_getpid(const char* name, void* arg) {
  (void)arg;
  outcome(name, syscall(X32_BIT | 39 /* getpid */));
}

int main(void) {
  outside = need_env("ZVIZ_ATTACK_OUTSIDE");
  secret = need_env("ZVIZ_ATTACK_SECRET");
  low = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
  if (low == MAP_FAILED) return 2;
  attempt("i386-getpid", i386_plain, (void*)20L);
  attempt("i386-open-secret", i386_open_secret, NULL);
  attempt("i386-creat-outside", i386_path_call, (void*)8L);
  attempt("i386-openat-create-outside", i386_path_call, (void*)295L);
  attempt("i386-mkdir-outside", i386_path_call, (void*)39L);
  attempt("i386-symlink-outside", i386_path_call, (void*)83L);
  attempt("i386-chmod-victim", i386_path_call, (void*)15L);
  attempt("i386-unlink-victim", i386_path_call, (void*)10L);
  attempt("i386-mount", i386_plain, (void*)21L);
  attempt("i386-ptrace-parent", i386_plain, (void*)26L);
  attempt("i386-unshare-user", i386_plain, (void*)310L);
  attempt("i386-io-uring-setup", i386_plain, (void*)425L);
  attempt("x32-getpid", x32_getpid, NULL);
  attempt("x32-open-secret", x32_open_secret, NULL);
  attempt("x32-create-outside", x32_create, NULL);
  return 0;
}
