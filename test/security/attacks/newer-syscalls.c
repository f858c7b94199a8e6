// The system calls Linux added from 6.5 to 6.18, which a profile written
// before them may allow without knowing it, and two numbers past the newest
// this kernel has. Each is aimed where a boundary would be: the secret and
// the victim outside the workspace (extended attributes, file attributes,
// mounts of a path), the container's mounts (listmount, statmount), the
// container's init (process_mrelease, process_madvise, migrate_pages,
// move_pages of another process). One line per call; a call that reads
// prints what it read, so the test can look for the secret's bytes.
#include "attack.h"

#include <sys/mman.h>
#include <sys/uio.h>
#include <time.h>

// Not in Debian 12's headers (Linux 6.1): the layouts of include/uapi/linux/mount.h.
struct zviz_mnt_id_req {
  unsigned int size, spare;
  unsigned long long mnt_id, param;
};
#define ZVIZ_MNT_ID_REQ_SIZE_VER0 24
#define ZVIZ_LSMT_ROOT 0xffffffffffffffffULL
#define ZVIZ_STATMOUNT_MNT_POINT 0x10
struct zviz_statmount {
  unsigned int size, mnt_opts;
  unsigned long long mask;
  unsigned int sb_dev_major, sb_dev_minor;
  unsigned long long sb_magic;
  unsigned int sb_flags, fs_type;
  unsigned long long mnt_id, mnt_parent_id;
  unsigned int mnt_id_old, mnt_parent_id_old;
  unsigned long long mnt_attr, mnt_propagation, mnt_peer_group, mnt_master, propagate_from;
  unsigned int mnt_root, mnt_point;
  unsigned long long mnt_ns_id;
  unsigned long long spare2[49];
  char str[];
};
struct zviz_xattr_args {
  unsigned long long value;
  unsigned int size, flags;
};

enum {
  NR_URETPROBE = 335,
  NR_UPROBE = 336,
  NR_SET_MEMPOLICY_HOME_NODE = 450,
  NR_MAP_SHADOW_STACK = 453,
  NR_FUTEX_WAKE = 454,
  NR_FUTEX_WAIT = 455,
  NR_FUTEX_REQUEUE = 456,
  NR_STATMOUNT = 457,
  NR_LISTMOUNT = 458,
  NR_LSM_GET_SELF_ATTR = 459,
  NR_LSM_SET_SELF_ATTR = 460,
  NR_LSM_LIST_MODULES = 461,
  NR_MSEAL = 462,
  NR_SETXATTRAT = 463,
  NR_GETXATTRAT = 464,
  NR_LISTXATTRAT = 465,
  NR_REMOVEXATTRAT = 466,
  NR_OPEN_TREE_ATTR = 467,
  NR_FILE_GETATTR = 468,
  NR_FILE_SETATTR = 469,
  NR_PAST_NEWEST = 470,
};

/** Every mount listmount names: "listmount ok mounts=N", then whether any statmount names the secret's directory. */
static void mounts(const char* outside) {
  struct zviz_mnt_id_req req = {.size = ZVIZ_MNT_ID_REQ_SIZE_VER0, .mnt_id = ZVIZ_LSMT_ROOT};
  static unsigned long long ids[4096];
  long n = syscall(NR_LISTMOUNT, &req, ids, 4096, 0);
  if (n < 0) {
    outcome("listmount", n);
    outcome("statmount", syscall(NR_STATMOUNT, &req, NULL, 0, 0));
    return;
  }
  say("listmount ok mounts=%ld", n);
  static char buf[16384];
  struct zviz_statmount* sm = (struct zviz_statmount*)buf;
  long read = 0;
  for (long i = 0; i < n; i++) {
    struct zviz_mnt_id_req one = {.size = ZVIZ_MNT_ID_REQ_SIZE_VER0, .mnt_id = ids[i], .param = ZVIZ_STATMOUNT_MNT_POINT};
    if (syscall(NR_STATMOUNT, &one, sm, sizeof(buf), 0) == 0) read++;
  }
  (void)outside;
  say("statmount ok read=%ld", read);
}

int main(void) {
  const char* secret = getenv("ZVIZ_ATTACK_SECRET");
  const char* victim = getenv("ZVIZ_ATTACK_VICTIM");
  const char* outside = getenv("ZVIZ_ATTACK_OUTSIDE");
  if (!secret || !victim || !outside) return 2;

  mounts(outside);

  char value[256] = "";
  struct zviz_xattr_args get = {.value = (unsigned long)value, .size = sizeof(value)};
  long got = syscall(NR_GETXATTRAT, AT_FDCWD, secret, 0, "trusted.zviz", &get, sizeof(get));
  outcome("getxattrat-secret", got);
  struct zviz_xattr_args set = {.value = (unsigned long)"zviz", .size = 4};
  outcome("setxattrat-victim", syscall(NR_SETXATTRAT, AT_FDCWD, victim, 0, "user.zviz", &set, sizeof(set)));
  char names[1024];
  outcome("listxattrat-secret", syscall(NR_LISTXATTRAT, AT_FDCWD, secret, 0, names, sizeof(names)));
  outcome("removexattrat-victim", syscall(NR_REMOVEXATTRAT, AT_FDCWD, victim, 0, "user.zviz"));
  unsigned char attr[64] = {0};
  outcome("file_getattr-secret", syscall(NR_FILE_GETATTR, AT_FDCWD, secret, attr, 24, 0));
  outcome("file_setattr-victim", syscall(NR_FILE_SETATTR, AT_FDCWD, victim, attr, 24, 0));
  outcome("open_tree_attr-outside", syscall(NR_OPEN_TREE_ATTR, AT_FDCWD, outside, 0, NULL, 0));
  outcome("open_tree-outside", syscall(SYS_open_tree, AT_FDCWD, outside, 0));

  char lsm[4096];
  unsigned int size = sizeof(lsm);
  outcome("lsm_list_modules", syscall(NR_LSM_LIST_MODULES, lsm, &size, 0));
  size = sizeof(lsm);
  outcome("lsm_get_self_attr", syscall(NR_LSM_GET_SELF_ATTR, 100 /* LSM_ATTR_CURRENT */, lsm, &size, 0));
  outcome("lsm_set_self_attr", syscall(NR_LSM_SET_SELF_ATTR, 100, lsm, 0, 0));

  void* page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  outcome("mseal-own-page", syscall(NR_MSEAL, page, 4096, 0));
  unsigned int futex_word = 0;
  outcome("futex_wake", syscall(NR_FUTEX_WAKE, &futex_word, 1, 1, 2 /* FUTEX2_SIZE_U32 */ | 128 /* FUTEX2_PRIVATE */));
  outcome("futex_wait", syscall(NR_FUTEX_WAIT, &futex_word, 1, 1, 2 | 128, NULL, CLOCK_MONOTONIC));
  outcome("futex_requeue", syscall(NR_FUTEX_REQUEUE, NULL, 0, 1, 0));
  outcome("map_shadow_stack", syscall(NR_MAP_SHADOW_STACK, 0, 4096, 0));

  // The container's init: pid 1 of its PID namespace.
  int init = (int)syscall(SYS_pidfd_open, 1, 0);
  outcome("pidfd_open-init", init);
  outcome("process_mrelease-init", syscall(SYS_process_mrelease, init, 0));
  struct iovec iov = {page, 4096};
  outcome("process_madvise-init", syscall(SYS_process_madvise, init, &iov, 1, MADV_COLD, 0));
  unsigned long nodes = 1;
  outcome("migrate_pages-init", syscall(SYS_migrate_pages, 1, 8 * sizeof(nodes), &nodes, &nodes));
  int status = 0;
  outcome("move_pages-init", syscall(SYS_move_pages, 1, 1, &page, NULL, &status, 0));
  outcome("set_mempolicy_home_node", syscall(NR_SET_MEMPOLICY_HOME_NODE, (unsigned long)page, 4096, 0, 0));
  outcome("quotactl_fd", syscall(SYS_quotactl_fd, -1, 0, 0, NULL));

  // Numbers no filter may name: the uprobe trampolines' own calls (the
  // kernel lets them past every seccomp filter) and numbers past this
  // kernel's newest.
  outcome("uprobe", syscall(NR_UPROBE));
  pid_t child = fork();
  if (child == 0) {
    syscall(NR_URETPROBE);
    _exit(0);
  }
  int wstatus = 0;
  waitpid(child, &wstatus, 0);
  if (WIFSIGNALED(wstatus)) {
    say("uretprobe killed %s", sigabbrev_np(WTERMSIG(wstatus)));
  } else {
    say("uretprobe exited %d", WEXITSTATUS(wstatus));
  }
  outcome("past-newest", syscall(NR_PAST_NEWEST, 0, 0, 0, 0));
  outcome("past-newest-high", syscall(NR_PAST_NEWEST + 30, 0, 0, 0, 0));
  (void)got;
  return 0;
}
