// The mounts a node holds for its other workloads: each pod's secrets,
// configmaps and service account tokens are tmpfs mounts under
// /var/lib/kubelet/pods/UID/volumes, each container's root file system a
// mount under /run/containerd. A host view is a copy of the node's mount
// namespace and carries them along; this program reads a secret of another
// pod and a file of another container's root, lists the pods, and counts
// the mounts its own view holds.
//   node-mounts
// Environment: ZVIZ_ATTACK_POD_SECRET, a secret file of another pod;
// ZVIZ_ATTACK_ROOTFS_SECRET, a file in another container's root file system.
// Lines: "pod-secret" and "rootfs-secret" as read_outcome (attack.h) or
// "errno ENAME"; "pods ok ENTRIES" (entries of /var/lib/kubelet/pods) or
// "errno ENAME"; "mounts ok N", the lines of /proc/self/mountinfo;
// "node-mounts ok N", those whose mount point lies below /var/lib/kubelet or
// /run/containerd (below: a mount over either directory itself is not one).
#include "attack.h"

static void read_file(const char* name, const char* path) {
  if (path == NULL || path[0] == '\0') {
    say("%s errno EINVAL", name);
    return;
  }
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    outcome(name, -1);
    return;
  }
  read_outcome(name, fd);
  close(fd);
}

static void list_pods(void) {
  DIR* dir = opendir("/var/lib/kubelet/pods");
  if (dir == NULL) {
    outcome("pods", -1);
    return;
  }
  long entries = 0;
  struct dirent* e;
  while ((e = readdir(dir)) != NULL) {
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) entries++;
  }
  closedir(dir);
  say("pods ok %ld", entries);
}

static int below(const char* path, const char* dir) {
  size_t n = strlen(dir);
  return strncmp(path, dir, n) == 0 && path[n] == '/';
}

static void count_mounts(void) {
  static char text[16 << 20];
  int fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    outcome("mounts", -1);
    return;
  }
  size_t len = 0;
  ssize_t n;
  while (len < sizeof(text) - 1 && (n = read(fd, text + len, sizeof(text) - 1 - len)) > 0) len += (size_t)n;
  close(fd);
  text[len] = '\0';
  long total = 0;
  long node = 0;
  for (char* line = text; *line != '\0';) {
    char* end = strchr(line, '\n');
    if (end != NULL) *end = '\0';
    // "ID PARENT MAJ:MIN ROOT MOUNTPOINT ...": the fifth field.
    char* field = line;
    for (int i = 0; i < 4 && field != NULL; i++) {
      field = strchr(field, ' ');
      if (field != NULL) field++;
    }
    if (field != NULL) {
      char* stop = strchr(field, ' ');
      if (stop != NULL) *stop = '\0';
      total++;
      if (below(field, "/var/lib/kubelet") || below(field, "/run/containerd")) node++;
    }
    if (end == NULL) break;
    line = end + 1;
  }
  say("mounts ok %ld", total);
  say("node-mounts ok %ld", node);
}

int main(void) {
  read_file("pod-secret", getenv("ZVIZ_ATTACK_POD_SECRET"));
  read_file("rootfs-secret", getenv("ZVIZ_ATTACK_ROOTFS_SECRET"));
  list_pods();
  count_mounts();
  say("finished ok");
  return 0;
}
