// What every attack program shares: how it says what happened. One line per
// attempt, "NAME OUTCOME", written with one write(2) so that lines from
// threads and forked children never mix:
//   ok [DETAIL]     the call succeeded
//   errno ENAME     it failed with that errno
//   read HEX        it read these bytes (hex: any content prints, and the tests
//                   look for the secret in both forms)
//   killed SIGNAME  the attempt ran in a child (attempt()) that was killed
// The tests compare these lines and, separately, look at what really
// happened on the host; a line is a claim, the host is the proof.
#ifndef ZVIZ_ATTACK_H
#define ZVIZ_ATTACK_H

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static inline void say(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void say(const char* fmt, ...) {
  char line[4096];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if (n > (int)sizeof(line) - 2) n = (int)sizeof(line) - 2;
  line[n++] = '\n';
  ssize_t off = 0;
  while (off < n) {
    ssize_t w = write(1, line + off, (size_t)(n - off));
    if (w <= 0) return;
    off += w;
  }
}

/** "NAME ok RC" or "NAME errno ENAME"; errno is read before anything else runs. */
static inline long outcome(const char* name, long rc) {
  int err = errno;
  if (rc < 0) {
    const char* e = strerrorname_np(err);
    say("%s errno %s", name, e ? e : "E?");
  } else {
    say("%s ok", name);
  }
  errno = err;
  return rc;
}

static inline void hex(char* out, const unsigned char* in, size_t n) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = digits[in[i] >> 4];
    out[2 * i + 1] = digits[in[i] & 15];
  }
  out[2 * n] = '\0';
}

/** For a descriptor an attempt got: "NAME read HEX" of what it holds (or "NAME ok" when nothing can be read). */
static inline void read_outcome(const char* name, int fd) {
  unsigned char buf[256];
  char text[2 * sizeof(buf) + 1];
  ssize_t n = pread(fd, buf, sizeof(buf), 0);
  if (n < 0) n = read(fd, buf, sizeof(buf));
  if (n <= 0) {
    say("%s ok", name);
    return;
  }
  hex(text, buf, (size_t)n);
  say("%s read %s", name, text);
}

/** Reads a descriptor to its end: how many bytes it gave, or -1 (errno set) when a read failed. */
static inline long read_count(int fd) {
  char buf[65536];
  long total = 0;
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0) return -1;
    if (n == 0) return total;
    total += n;
  }
}

/** "NAME ok bytes=N" of what an open's descriptor reads to its end, or "NAME errno ENAME" of the open or a read; the descriptor is closed. */
static inline void count_outcome(const char* name, int fd) {
  long total = fd < 0 ? -1 : read_count(fd);
  if (fd >= 0) {
    int err = errno;
    close(fd);
    errno = err;
  }
  if (total < 0) {
    outcome(name, -1);
  } else {
    say("%s ok bytes=%ld", name, total);
  }
}

/**
 * For files of the host whose content must not show up in test logs (such as
 * /etc/shadow): "NAME read-hash LENGTH:FNV1A64" of the whole file, which the
 * test computes from the real file and compares.
 */
static inline void read_hash_outcome(const char* name, int fd) {
  if (fd < 0) {
    outcome(name, fd);
    return;
  }
  unsigned long long h = 14695981039346656037ULL;
  unsigned char buf[4096];
  long total = 0;
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) {
    for (ssize_t i = 0; i < n; i++) {
      h ^= buf[i];
      h *= 1099511628211ULL;
    }
    total += n;
  }
  close(fd);
  say("%s read-hash %ld:%016llx", name, total, h);
}

/** An open's outcome: errno, or what the descriptor reads; the descriptor is closed. */
static inline void open_outcome(const char* name, int fd) {
  if (fd < 0) {
    outcome(name, fd);
    return;
  }
  read_outcome(name, fd);
  close(fd);
}

/**
 * Runs one attempt in a child, for attempts that may kill their process (a
 * syscall of an ABI the filter does not cover, a seccomp kill rule): the
 * child prints its own line; a killed child gets "NAME killed SIGNAME".
 */
static inline void attempt(const char* name, void (*fn)(const char* name, void* arg), void* arg) {
  pid_t pid = fork();
  if (pid == 0) {
    fn(name, arg);
    _exit(0);
  }
  if (pid < 0) {
    outcome(name, -1);
    return;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status)) {
    const char* sig = sigabbrev_np(WTERMSIG(status));
    say("%s killed SIG%s", name, sig ? sig : "?");
  }
}

/** A variable the harness sets (-e), or exit 2 with the reason. */
static inline const char* need_env(const char* key) {
  const char* value = getenv(key);
  if (!value || !*value) {
    say("setup errno missing-%s", key);
    exit(2);
  }
  return value;
}

/** "DIR/NAME" in a static buffer per call site's own array. */
static inline const char* join_path(char* out, size_t size, const char* dir, const char* name) {
  snprintf(out, size, "%s/%s", dir, name);
  return out;
}

/** "NAME ok N": how many entries the directory lists besides . and .. (or "NAME errno ENAME"). */
static inline void entries(const char* name, const char* path) {
  DIR* dir = opendir(path);
  if (dir == NULL) {
    outcome(name, -1);
    return;
  }
  int n = 0;
  struct dirent* e;
  while ((e = readdir(dir)) != NULL) {
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) n++;
  }
  closedir(dir);
  say("%s ok %d", name, n);
}

/** Copies this program to `to` (executable); 0, or -1 when a step failed. */
static inline int copy_self(const char* to) {
  int in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
  if (in < 0 || out < 0) return -1;
  char buf[65536];
  ssize_t n;
  while ((n = read(in, buf, sizeof(buf))) > 0) {
    if (write(out, buf, (size_t)n) != n) return -1;
  }
  close(in);
  close(out);
  return n == 0 ? 0 : -1;
}

#if defined(__x86_64__)
/** A syscall of the i386 ABI (its own numbers, 32-bit arguments) through `int $0x80`. */
static inline long int80(long nr, long a, long b, long c) {
  long rc;
  __asm__ volatile("int $0x80" : "=a"(rc) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
  return rc;
}
#endif

#endif
