// Attack class: what of the host's file system a workload can see (issue 14,
// finding 6). `strict` shows an allow-list (the workspace, the system's
// programs and libraries, a minimal /etc, a private /tmp, its own /proc and
// /dev); everything else does not exist for it: secrets by any name, the
// host's service sockets under /run and /var/run, other users' homes.
//   view    (ZVIZ_ATTACK_SECRET, ZVIZ_ATTACK_HOST_SOCKET, ZVIZ_ATTACK_TAG)
#include "attack.h"

#include <dirent.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

static void read_file(const char* name, const char* path) {
  read_hash_outcome(name, open(path, O_RDONLY | O_CLOEXEC));
}

static void exists(const char* name, const char* path) {
  struct stat st;
  outcome(name, stat(path, &st));
}

/** The names in a directory, comma-separated and sorted by the kernel's order (the test sorts). */
static void list(const char* name, const char* path) {
  DIR* dir = opendir(path);
  if (dir == NULL) {
    outcome(name, -1);
    return;
  }
  char names[4096] = "";
  struct dirent* e;
  while ((e = readdir(dir)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    if (names[0] != '\0') strncat(names, ",", sizeof(names) - strlen(names) - 1);
    strncat(names, e->d_name, sizeof(names) - strlen(names) - 1);
  }
  closedir(dir);
  say("%s ok %s", name, names);
}

static void connect_unix(const char* name, const char* path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    outcome(name, -1);
    return;
  }
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof(addr));
  addr.sun_family = AF_UNIX;
  strncpy(addr.sun_path, path, sizeof(addr.sun_path) - 1);
  if (outcome(name, connect(fd, (struct sockaddr*)&addr, sizeof(addr))) == 0) {
    (void)!write(fd, "zviz-view", 9);
  }
  close(fd);
}

int main(void) {
  const char* secret = need_env("ZVIZ_ATTACK_SECRET");
  const char* host_socket = need_env("ZVIZ_ATTACK_HOST_SOCKET");
  const char* tag = need_env("ZVIZ_ATTACK_TAG");
  read_file("etc-shadow", "/etc/shadow");
  read_file("etc-shadow-backup", "/etc/shadow-");
  read_file("etc-gshadow", "/etc/gshadow");
  read_file("scratch-secret", secret);
  read_file("etc-passwd", "/etc/passwd");
  list("etc", "/etc");
  list("root-dir", "/");
  exists("run", "/run");
  exists("var-run", "/var/run");
  exists("host-socket", host_socket);
  connect_unix("host-socket-connect", host_socket);
  exists("root-home", "/root");
  exists("sys", "/sys");
  exists("var-lib", "/var/lib");
  list("dev", "/dev");
  // The view's root is read-only; only the workspace and /tmp take writes.
  // (Named after the run, so that the test can remove what a profile without
  // a file-system boundary lets through.)
  char dir[256];
  snprintf(dir, sizeof(dir), "/%s", tag);
  outcome("mkdir-root", mkdir(dir, 0755));
  snprintf(dir, sizeof(dir), "/usr/%s", tag);
  outcome("mkdir-usr", mkdir(dir, 0755));
  // A private /tmp: what is written there never shows on the host.
  char tmp[256];
  snprintf(tmp, sizeof(tmp), "/tmp/%s", tag);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (outcome("tmp-write", fd) >= 0) {
    (void)!write(fd, "private\n", 8);
    close(fd);
  }
  return 0;
}
