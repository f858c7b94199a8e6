// Descriptors: what the workload holds when it starts, and an emulated open
// with its descriptor table full.
//   descriptors
// First every descriptor open at exec, with what it names: nothing but its
// stdio may be there (not the seccomp listener, not a socket to the agent,
// not a directory of the host). Then RLIMIT_NOFILE's soft limit lowered to 3,
// so that 0, 1 and 2 fill the table, and opens that change something: the
// kernel takes a descriptor number before it looks at the path, so each fails
// with EMFILE and changes nothing; a broker that opens first and installs
// after would create the file, truncate it, or wake a FIFO's other end, and
// then answer EMFILE. Then 2,000 plain reads at the limit (a descriptor the
// broker kept for each would show in the agent), and an open once the limit
// is raised again.
#include "attack.h"

#include <dirent.h>
#include <sys/resource.h>
#include <sys/stat.h>

static void list_descriptors(void) {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == NULL) {
    outcome("fds", -1);
    return;
  }
  char numbers[1024] = "";
  struct dirent* e;
  while ((e = readdir(dir)) != NULL) {
    if (e->d_name[0] == '.' || atoi(e->d_name) == dirfd(dir)) continue;
    if (numbers[0] != '\0') strncat(numbers, ",", sizeof(numbers) - strlen(numbers) - 1);
    strncat(numbers, e->d_name, sizeof(numbers) - strlen(numbers) - 1);
    int fd = atoi(e->d_name);
    if (fd > 2) {
      char link[64], target[512];
      snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
      ssize_t n = readlink(link, target, sizeof(target) - 1);
      target[n < 0 ? 0 : n] = '\0';
      say("fd-extra %d %s", fd, target);
    }
  }
  closedir(dir);
  say("fds ok %s", numbers);
}

static void size_of(const char* name, const char* path) {
  struct stat st;
  if (stat(path, &st) != 0) {
    outcome(name, -1);
    return;
  }
  say("%s ok %lld", name, (long long)st.st_size);
}

int main(void) {
  list_descriptors();
  int fd = open("keep", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || write(fd, "kept", 4) != 4 || close(fd) != 0 || mkfifo("fifo", 0644) != 0) {
    outcome("setup", -1);
    return 2;
  }
  // A writer waiting for a reader: the FIFO's other end.
  pid_t writer = fork();
  if (writer == 0) {
    int w = open("fifo", O_WRONLY | O_CLOEXEC);  // waits for a reader
    if (w >= 0) {
      int marker = open("writer-woke", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
      if (marker >= 0) close(marker);
    }
    _exit(0);
  }
  struct rlimit old;
  getrlimit(RLIMIT_NOFILE, &old);
  struct rlimit low = {3, old.rlim_max};
  outcome("lower-limit", setrlimit(RLIMIT_NOFILE, &low));
  outcome("create-at-limit", open("created", O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
  outcome("truncate-at-limit", open("keep", O_WRONLY | O_TRUNC | O_CLOEXEC));
  outcome("fifo-at-limit", open("fifo", O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  outcome("dev-null-at-limit", open("/dev/null", O_WRONLY | O_CLOEXEC));
  int refused = 0;
  for (int i = 0; i < 2000; i++) {
    int r = open("keep", O_RDONLY | O_CLOEXEC);
    if (r < 0 && errno == EMFILE) refused++;
    if (r >= 0) close(r);
  }
  say("reads-at-limit ok %d", refused);
  outcome("raise-limit", setrlimit(RLIMIT_NOFILE, &old));
  size_of("created-size", "created");
  size_of("keep-size", "keep");
  usleep(200 * 1000);  // a woken writer has made its marker by now
  size_of("writer-woke", "writer-woke");
  int again = open("keep", O_RDONLY | O_CLOEXEC);
  outcome("open-after", again);
  kill(writer, SIGKILL);
  waitpid(writer, NULL, 0);
  return 0;
}
