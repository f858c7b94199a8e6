// The TOCTOU attack on path decisions: one thread opens a path for writing
// in a loop while another rewrites the path buffer, back and forth between an
// allowed and a forbidden file. Prints how many opens succeeded, how many of
// those were the forbidden file (must be 0 under the broker), and how many
// were refused.
//   race ALLOWED FORBIDDEN ITERATIONS
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char path[4096];
static const char* allowed;
static const char* forbidden;
static atomic_int stop;

static void* flipper(void* arg) {
  (void)arg;
  size_t la = strlen(allowed) + 1, lf = strlen(forbidden) + 1;
  while (!atomic_load(&stop)) {
    memcpy(path, forbidden, lf);
    memcpy(path, allowed, la);
  }
  return NULL;
}

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: race ALLOWED FORBIDDEN ITERATIONS\n");
    return 2;
  }
  allowed = argv[1];
  forbidden = argv[2];
  long iterations = atol(argv[3]);
  struct stat forbidden_st;
  if (stat(forbidden, &forbidden_st) != 0) {
    perror("stat forbidden");
    return 2;
  }
  memcpy(path, allowed, strlen(allowed) + 1);
  pthread_t t;
  pthread_create(&t, NULL, flipper, NULL);
  // A read that catches the buffer mid-copy sees a mix of both paths, which
  // does not exist (ENOENT), as the kernel itself could see it.
  long ok = 0, forbidden_opened = 0, refused = 0, torn = 0, other = 0;
  for (long i = 0; i < iterations; i++) {
    int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd < 0) {
      if (errno == EACCES) refused++;
      else if (errno == ENOENT) torn++;
      else other++;
      continue;
    }
    ok++;
    struct stat st;
    if (fstat(fd, &st) == 0 && st.st_ino == forbidden_st.st_ino && st.st_dev == forbidden_st.st_dev) {
      forbidden_opened++;
    }
    close(fd);
  }
  atomic_store(&stop, 1);
  pthread_join(t, NULL);
  printf("ok %ld forbidden %ld refused %ld torn %ld other %ld\n", ok, forbidden_opened, refused, torn, other);
  return 0;
}
