// Device nodes: the host's devices under /dev (the console and the host's
// terminals among them), and device nodes the workload makes itself with
// mknod: the block device of the root file system, /dev/mem, /dev/kmsg,
// /dev/null. The container's device list holds only null, zero, full,
// random, urandom, tty, ptmx and pts, and no built-in profile grants
// CAP_MKNOD. Nodes the test made in the workspace beforehand (planted-*,
// as a workload that could mknod would have) and a link to one show that the
// list judges the device an inode is, not its name, wherever it lies. Last,
// the v2 cgroup's BPF device program is queried and detached by bpf(2).
#include "attack.h"

#include <linux/bpf.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

static void try_open(const char* name, const char* path, int flags) {
  int fd = open(path, flags | O_CLOEXEC | O_NONBLOCK);
  outcome(name, fd);
  if (fd >= 0) close(fd);
}

static void try_made(const char* name, mode_t type, dev_t dev, int flags) {
  char path[64];
  snprintf(path, sizeof(path), "made-%s", name);
  unlink(path);
  if (mknod(path, type | 0600, dev) != 0) {
    say("%s errno %s (mknod)", name, strerrorname_np(errno));
    return;
  }
  try_open(name, path, flags);
  unlink(path);
}

/** The block device the root file system is on, as /dev names it (from /sys/dev/block/MAJOR:MINOR/uevent). */
static const char* root_disk(dev_t dev) {
  static char path[300];
  char uevent[128], line[256];
  snprintf(uevent, sizeof(uevent), "/sys/dev/block/%u:%u/uevent", major(dev), minor(dev));
  FILE* f = fopen(uevent, "re");
  if (!f) return "/dev/vda";
  while (fgets(line, sizeof(line), f)) {
    if (strncmp(line, "DEVNAME=", 8) == 0) {
      line[strcspn(line, "\n")] = '\0';
      snprintf(path, sizeof(path), "/dev/%s", line + 8);
    }
  }
  fclose(f);
  return path[0] ? path : "/dev/vda";
}

/** Opens a disk for reading and reads its first sector; says how much it got, never what. */
static void read_disk(const char* name, const char* path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    outcome(name, -1);
    return;
  }
  char sector[512];
  ssize_t n = read(fd, sector, sizeof(sector));
  if (n < 0) {
    outcome(name, -1);
  } else {
    say("%s read %zd bytes", name, n);
  }
  close(fd);
}

/**
 * The v2 cgroup's device program taken away: queried, then detached from the
 * workload's own cgroup (its namespace root in the view), then /dev/kmsg
 * opened again. bpf(2) with a descriptor that is not a cgroup (strict has no
 * /sys) still says whether the call reaches the kernel at all.
 */
static void detach_device_program(void) {
  int cg = open("/sys/fs/cgroup/unified", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cg < 0) cg = open("/sys/fs/cgroup", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  union bpf_attr attr;
  __u32 ids[8];
  memset(&attr, 0, sizeof(attr));
  attr.query.target_fd = (__u32)cg;
  attr.query.attach_type = BPF_CGROUP_DEVICE;
  attr.query.prog_ids = (__u64)(unsigned long)ids;
  attr.query.prog_cnt = 8;
  outcome("bpf-device-query", syscall(SYS_bpf, BPF_PROG_QUERY, &attr, sizeof(attr)));
  memset(&attr, 0, sizeof(attr));
  attr.target_fd = (__u32)cg;
  attr.attach_type = BPF_CGROUP_DEVICE;
  outcome("bpf-device-detach", syscall(SYS_bpf, BPF_PROG_DETACH, &attr, sizeof(attr)));
  if (cg >= 0) close(cg);
  // A detach must name the program (it is attached with BPF_F_ALLOW_MULTI): by a descriptor, which
  // only the node's ids lead to.
  memset(&attr, 0, sizeof(attr));
  outcome("bpf-prog-next-id", syscall(SYS_bpf, BPF_PROG_GET_NEXT_ID, &attr, sizeof(attr)));
  try_open("dev-kmsg-after-detach", "/dev/kmsg", O_WRONLY);
}

int main(void) {
  struct stat root;
  if (stat("/", &root) != 0) return 2;
  read_disk("root-disk-read", root_disk(root.st_dev));
  try_open("dev-null-write", "/dev/null", O_WRONLY);
  try_open("dev-kmsg-write", "/dev/kmsg", O_WRONLY);
  try_open("dev-kmsg-read", "/dev/kmsg", O_RDONLY);
  try_open("dev-console-write", "/dev/console", O_WRONLY);
  try_open("dev-console-read", "/dev/console", O_RDONLY);
  try_open("dev-tty0", "/dev/tty0", O_WRONLY);
  try_open("dev-tty1", "/dev/tty1", O_WRONLY);
  try_open("dev-ttyS0", "/dev/ttyS0", O_WRONLY);
  try_open("dev-vcs", "/dev/vcs", O_RDONLY);
  try_open("dev-vcsa", "/dev/vcsa", O_RDONLY);
  try_open("dev-vcs-write", "/dev/vcs1", O_WRONLY);
  try_open("dev-kvm", "/dev/kvm", O_RDWR);
  try_open("dev-loop-control", "/dev/loop-control", O_RDWR);
  try_open("dev-loop0", "/dev/loop0", O_RDONLY);
  try_open("dev-fuse", "/dev/fuse", O_RDWR);
  try_open("dev-btrfs-control", "/dev/btrfs-control", O_RDWR);
  try_open("dev-cpu-dma-latency", "/dev/cpu_dma_latency", O_WRONLY);
  try_open("dev-hwrng", "/dev/hwrng", O_RDONLY);
  try_made("mknod-root-block-device", S_IFBLK, root.st_dev, O_RDONLY);
  try_made("mknod-mem", S_IFCHR, makedev(1, 1), O_RDONLY);
  try_made("mknod-kmsg", S_IFCHR, makedev(1, 11), O_WRONLY);
  try_made("mknod-null", S_IFCHR, makedev(1, 3), O_WRONLY);
  try_made("mknod-fifo", S_IFIFO, 0, O_RDWR);
  try_open("planted-kmsg", "planted-kmsg", O_WRONLY);
  try_open("planted-mem", "planted-mem", O_RDONLY);
  try_open("planted-hwrng", "planted-hwrng", O_RDONLY);
  try_open("planted-loop0", "planted-loop0", O_RDONLY);
  try_open("planted-console", "planted-console", O_WRONLY);
  try_open("planted-null", "planted-null", O_WRONLY);
  outcome("link-planted-kmsg-made", symlink("planted-kmsg", "link-planted-kmsg"));
  try_open("link-planted-kmsg", "link-planted-kmsg", O_WRONLY);
  unlink("link-planted-kmsg");
  detach_device_program();
  return 0;
}
