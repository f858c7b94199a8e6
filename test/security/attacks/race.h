// Races for the attack programs: one thread flips something (a symlink, a
// path buffer, a descriptor) as fast as it can while the main thread opens.
// Each race prints "NAME opened=N refused=N leaked=N", and the first forbidden
// content it got as "NAME-leak read HEX"; the tests check the host as well.
#ifndef ZVIZ_RACE_H
#define ZVIZ_RACE_H

#include "attack.h"

#include <pthread.h>
#include <stdatomic.h>

struct race {
  const char* name;
  atomic_int stop;
  long opened, refused, leaked, writable;
  int said_leak;
  /** Say a leak by its length only (a host file whose content must not reach the logs). */
  int quiet;
  /** Bytes of the harmless file: anything else read is a leak. */
  const char* harmless;
};

static inline void race_start(struct race* r, const char* name, const char* harmless) {
  memset(r, 0, sizeof(*r));
  r->name = name;
  r->harmless = harmless;
}

/** Counts one open of the race; reads what it got and compares it with the harmless content. */
static inline void race_count(struct race* r, int fd) {
  if (fd < 0) {
    r->refused++;
    return;
  }
  r->opened++;
  if ((fcntl(fd, F_GETFL) & O_ACCMODE) != O_RDONLY) {
    r->writable++;
  }
  unsigned char buf[256];
  ssize_t n = pread(fd, buf, sizeof(buf), 0);
  size_t harmless = strlen(r->harmless);
  if (n > 0 && ((size_t)n != harmless || memcmp(buf, r->harmless, harmless) != 0)) {
    r->leaked++;
    if (!r->said_leak) {
      char text[2 * sizeof(buf) + 1];
      hex(text, buf, (size_t)n);
      if (r->quiet) {
        say("%s-leak read %zd bytes", r->name, n);
      } else {
        say("%s-leak read %s", r->name, text);
      }
      r->said_leak = 1;
    }
  }
  close(fd);
}

static inline void race_report(struct race* r) {
  say("%s opened=%ld refused=%ld leaked=%ld writable=%ld", r->name, r->opened, r->refused, r->leaked,
      r->writable);
}

/** Iterations of each race: argv[1], or 10000. */
static inline long race_iterations(int argc, char** argv) {
  return argc > 1 ? atol(argv[1]) : 10000;
}

static inline void write_file(const char* path, const char* content) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || write(fd, content, strlen(content)) != (ssize_t)strlen(content)) {
    say("setup errno %s (%s)", strerrorname_np(errno), path);
    exit(2);
  }
  close(fd);
}

#endif
