// The node's service sockets and files under /run (run-sockets.test.ts).
//
//   run-sockets serve LOG READY SPEC...   outside the sandbox, in the test's
//       mount namespace: binds each SPEC ("stream:PATH" or "dgram:PATH"),
//       then creates READY, and logs to LOG one line for each connection
//       accepted ("PATH connection") and each message read ("PATH data HEX");
//       it dies with its parent (the agent or zviz run the shell execs).
//   run-sockets link-over LINK TARGET     makes TARGET (a file) show the
//       symbolic link LINK, by binding the link itself over it.
//   run-sockets                           in the sandbox: for each
//       "LABEL=PATH" of ZVIZ_ATTACK_STREAM and ZVIZ_ATTACK_DGRAM, connects
//       (stream) or sends (datagram) and writes "LABEL ZVIZ_ATTACK_TAG"; the
//       abstract name ZVIZ_ATTACK_ABSTRACT likewise; reads each LABEL=PATH
//       of ZVIZ_ATTACK_FILES and creates each of ZVIZ_ATTACK_CREATE.
#include "attack.h"

#include <linux/mount.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#define MAX_SOCKETS 32

static int address(struct sockaddr_un* un, const char* path) {
  memset(un, 0, sizeof(*un));
  un->sun_family = AF_UNIX;
  if (strlen(path) >= sizeof(un->sun_path)) {
    errno = ENAMETOOLONG;
    return -1;
  }
  strcpy(un->sun_path, path);
  return 0;
}

static void log_line(int log, const char* path, const char* what, const unsigned char* data, size_t n) {
  char text[2 * 512 + 1];
  char line[2048];
  if (n > 512) n = 512;
  hex(text, data, n);
  int len = snprintf(line, sizeof(line), "%s %s%s%s\n", path, what, n ? " " : "", n ? text : "");
  (void)!write(log, line, (size_t)len);
}

static int serve(int argc, char** argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: run-sockets serve LOG READY stream:PATH|dgram:PATH...\n");
    return 2;
  }
  const pid_t parent = getppid();
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) {
    return 1;
  }
  alarm(900);  // a bound, should the parent never exit
  int log = open(argv[2], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log < 0) {
    perror(argv[2]);
    return 1;
  }
  struct pollfd fds[MAX_SOCKETS * 2];
  const char* paths[MAX_SOCKETS * 2];
  int listening[MAX_SOCKETS * 2];
  int n = 0;
  for (int i = 4; i < argc && n < MAX_SOCKETS; ++i) {
    const int dgram = strncmp(argv[i], "dgram:", 6) == 0;
    const char* path = strchr(argv[i], ':') + 1;
    struct sockaddr_un un;
    char dir[sizeof(un.sun_path)];
    snprintf(dir, sizeof(dir), "%s", path);
    for (char* p = dir + 1; *p; ++p) {
      if (*p == '/') {
        *p = '\0';
        mkdir(dir, 0755);
        *p = '/';
      }
    }
    const int s = socket(AF_UNIX, (dgram ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
    if (s < 0 || address(&un, path) != 0 || bind(s, (struct sockaddr*)&un, sizeof(un)) != 0 ||
        (!dgram && listen(s, 16) != 0)) {
      perror(path);
      return 1;
    }
    fds[n] = (struct pollfd){.fd = s, .events = POLLIN};
    paths[n] = path;
    listening[n] = !dgram;
    ++n;
  }
  const int ready = open(argv[3], O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (ready < 0) {
    perror(argv[3]);
    return 1;
  }
  close(ready);
  for (;;) {
    if (poll(fds, (nfds_t)n, -1) < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    for (int i = 0; i < n; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) {
        continue;
      }
      if (listening[i]) {
        const int c = accept4(fds[i].fd, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0) continue;
        log_line(log, paths[i], "connection", NULL, 0);
        if (n < MAX_SOCKETS * 2) {
          fds[n] = (struct pollfd){.fd = c, .events = POLLIN};
          paths[n] = paths[i];
          listening[n] = 0;
          ++n;
        } else {
          close(c);
        }
        continue;
      }
      unsigned char buf[512];
      const ssize_t got = recv(fds[i].fd, buf, sizeof(buf), 0);
      if (got > 0) {
        log_line(log, paths[i], "data", buf, (size_t)got);
      } else {
        // A connection ended: its slot stays, never polled again (poll skips a negative fd).
        close(fds[i].fd);
        fds[i].fd = -1;
      }
    }
  }
}

static int link_over(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: run-sockets link-over LINK TARGET\n");
    return 2;
  }
  const int tree = (int)syscall(SYS_open_tree, AT_FDCWD, argv[2], OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_SYMLINK_NOFOLLOW);
  if (tree < 0 || syscall(SYS_move_mount, tree, "", AT_FDCWD, argv[3], MOVE_MOUNT_F_EMPTY_PATH) != 0) {
    perror("link-over");
    return 1;
  }
  return 0;
}

/** Calls fn(label, path) for each "LABEL=PATH" of the comma-separated variable `key`. */
static void each(const char* key, void (*fn)(const char* label, const char* path)) {
  char list[4096];
  snprintf(list, sizeof(list), "%s", need_env(key));
  char* save = NULL;
  for (char* item = strtok_r(list, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
    char* eq = strchr(item, '=');
    if (eq) {
      *eq = '\0';
      fn(item, eq + 1);
    }
  }
}

static void payload(char* out, size_t size, const char* label) {
  snprintf(out, size, "%s %s\n", label, need_env("ZVIZ_ATTACK_TAG"));
}

static void try_stream(const char* label, const char* path) {
  struct sockaddr_un un;
  const int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0 || address(&un, path) != 0) {
    outcome(label, -1);
    return;
  }
  if (outcome(label, connect(s, (struct sockaddr*)&un, sizeof(un))) == 0) {
    char line[256];
    payload(line, sizeof(line), label);
    (void)!send(s, line, strlen(line), MSG_NOSIGNAL);
  }
  close(s);
}

static void try_dgram(const char* label, const char* path) {
  struct sockaddr_un un;
  const int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0 || address(&un, path) != 0) {
    outcome(label, -1);
    return;
  }
  char line[256];
  payload(line, sizeof(line), label);
  outcome(label, sendto(s, line, strlen(line), MSG_NOSIGNAL, (struct sockaddr*)&un, sizeof(un)));
  close(s);
}

static void try_read(const char* label, const char* path) {
  open_outcome(label, open(path, O_RDONLY | O_CLOEXEC));
}

static void try_create(const char* label, const char* path) {
  const int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (outcome(label, fd) >= 0) {
    close(fd);
  }
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "serve") == 0) {
    return serve(argc, argv);
  }
  if (argc > 1 && strcmp(argv[1], "link-over") == 0) {
    return link_over(argc, argv);
  }
  each("ZVIZ_ATTACK_STREAM", try_stream);
  each("ZVIZ_ATTACK_DGRAM", try_dgram);
  const char* name = need_env("ZVIZ_ATTACK_ABSTRACT");
  struct sockaddr_un ab = {.sun_family = AF_UNIX};
  memcpy(ab.sun_path + 1, name, strlen(name));
  const int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  // The whole sun_path, NULs included, as Node's listeners bind abstract names.
  if (outcome("abstract", s < 0 ? -1 : connect(s, (struct sockaddr*)&ab, sizeof(ab))) == 0) {
    char line[256];
    payload(line, sizeof(line), "abstract");
    (void)!send(s, line, strlen(line), MSG_NOSIGNAL);
  }
  each("ZVIZ_ATTACK_FILES", try_read);
  each("ZVIZ_ATTACK_CREATE", try_create);
  say("finished ok");
  return 0;
}
