// Replaces a program the agent executes at every container start,
// zviz-spawn (the first process of each container) or zviz-init (PID 1 of
// each PID namespace), with itself, by one of three means:
//   write   open the file and write over it (O_TRUNC)
//   rename  write a new file beside it and rename it over the old name
//   unlink  remove the file and create a new one under its name
// argv: METHOD WHICH PATH MARKER, WHICH being "spawn" or "init" (only the
// line's name). Prints "WHICH-METHOD ..." (attack.h). With the one argument
// "second" it is the next container's harmless workload: it prints
// "second ran".
//
// The replacement is this very program with the marker's path appended. Run
// under the name zviz-spawn or zviz-init (as the agent names them in argv[0]),
// it appends that name to the marker and exits: the test's proof that the
// workload's code ran in a later container's start, as the node's root.
#include "attack.h"

#include <libgen.h>
#include <sys/stat.h>

static const char kTrailer[] = "\nZVIZ-REPLACED-MARKER:";

/** This program's bytes, read through /proc/self/exe; NULL on failure. */
static char* read_self(size_t* size) {
  int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) return NULL;
  char* data = malloc((size_t)st.st_size + 1);
  size_t got = 0;
  while (data && got < (size_t)st.st_size) {
    ssize_t n = read(fd, data + got, (size_t)st.st_size - got);
    if (n <= 0) break;
    got += (size_t)n;
  }
  close(fd);
  if (!data || got != (size_t)st.st_size) return NULL;
  data[got] = '\0';
  *size = got;
  return data;
}

/** Running as the replacement: the marker named after the last trailer of our own file gets our name. */
static int replaced(const char* name) {
  size_t size = 0;
  char* self = read_self(&size);
  if (!self) return 120;
  const char* marker = NULL;
  for (size_t i = 0; i + sizeof(kTrailer) - 1 <= size; i++) {
    if (memcmp(self + i, kTrailer, sizeof(kTrailer) - 1) == 0) marker = self + i + sizeof(kTrailer) - 1;
  }
  if (!marker) return 121;
  char path[4096];
  size_t n = strcspn(marker, "\n");
  if (n == 0 || n >= sizeof(path)) return 122;
  memcpy(path, marker, n);
  path[n] = '\0';
  int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return 123;
  char line[128];
  int len = snprintf(line, sizeof(line), "%s ran as uid %d\n", name, (int)getuid());
  (void)!write(fd, line, (size_t)len);
  close(fd);
  return 0;
}

static int write_all(int fd, const char* data, size_t size) {
  size_t off = 0;
  while (off < size) {
    ssize_t n = write(fd, data + off, size - off);
    if (n <= 0) return -1;
    off += (size_t)n;
  }
  return 0;
}

/** Writes `data` to a new or truncated file `path`, mode 0755; -1 with errno. */
static int write_file(const char* path, int flags, const char* data, size_t size) {
  int fd = open(path, O_WRONLY | O_CLOEXEC | flags, 0755);
  if (fd < 0) return -1;
  int rc = write_all(fd, data, size);
  int err = errno;
  if (rc == 0) rc = fchmod(fd, 0755);
  if (rc != 0) err = errno;
  close(fd);
  errno = err;
  return rc;
}

static void replace(const char* what, const char* method, const char* path, const char* data, size_t size) {
  char name[64];
  snprintf(name, sizeof(name), "%s-%s", what, method);
  if (strcmp(method, "write") == 0) {
    outcome(name, write_file(path, O_TRUNC, data, size));
  } else if (strcmp(method, "rename") == 0) {
    char temp[4096];
    snprintf(temp, sizeof(temp), "%s.replacement", path);
    if (write_file(temp, O_CREAT | O_TRUNC, data, size) != 0) {
      outcome(name, -1);
      return;
    }
    outcome(name, rename(temp, path));
  } else if (strcmp(method, "unlink") == 0) {
    if (unlink(path) != 0) {
      outcome(name, -1);
      return;
    }
    outcome(name, write_file(path, O_CREAT | O_EXCL, data, size));
  } else {
    say("%s errno unknown-method", name);
  }
}

int main(int argc, char** argv) {
  const char* self_name = basename(argv[0]);
  if (strcmp(self_name, "zviz-spawn") == 0 || strcmp(self_name, "zviz-init") == 0) {
    return replaced(self_name);
  }
  if (argc == 2 && strcmp(argv[1], "second") == 0) {
    say("second ran");
    return 0;
  }
  if (argc != 5) {
    say("setup errno usage");
    return 2;
  }
  size_t size = 0;
  char* self = read_self(&size);
  if (!self) {
    outcome("setup", -1);
    return 2;
  }
  // This program, then "\nZVIZ-REPLACED-MARKER:MARKER\n".
  size_t total = size + sizeof(kTrailer) - 1 + strlen(argv[4]) + 1;
  char* replacement = malloc(total + 1);
  if (!replacement) return 2;
  memcpy(replacement, self, size);
  int n = snprintf(replacement + size, total + 1 - size, "%s%s\n", kTrailer, argv[4]);
  if (n < 0 || (size_t)n != total - size) {
    say("setup errno trailer");
    return 2;
  }
  replace(argv[2], argv[1], argv[3], replacement, total);
  return 0;
}
