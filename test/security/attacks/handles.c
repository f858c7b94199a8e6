// File handles: name_to_handle_at on the secret, and open_by_handle_at of
// that handle and of forged ones (the root directory of the file system,
// inode 2, as the "shocker" container escape did). open_by_handle_at
// resolves no path at all, so no path rule can see it: only the seccomp
// filter and the missing CAP_DAC_READ_SEARCH keep it shut.
#include "attack.h"

#include <sys/stat.h>

struct handle {
  struct file_handle fh;
  unsigned char bytes[MAX_HANDLE_SZ];
};

int main(void) {
  const char* secret = need_env("ZVIZ_ATTACK_SECRET");
  struct handle h;
  int mount_id = 0;
  memset(&h, 0, sizeof(h));
  h.fh.handle_bytes = MAX_HANDLE_SZ;
  long rc = name_to_handle_at(AT_FDCWD, secret, &h.fh, &mount_id, 0);
  int handle_errno = errno;
  outcome("name-to-handle-secret", rc);
  // Any directory of the file system serves as the mount descriptor: the workspace.
  int mount_fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (rc == 0) {
    open_outcome("open-by-handle-secret", open_by_handle_at(mount_fd, &h.fh, O_RDONLY | O_CLOEXEC));
  } else {
    say("open-by-handle-secret errno %s (no handle)", strerrorname_np(handle_errno));
  }
  // A forged ext4/xfs style handle of inode 2 (the root of most file systems), generation 0.
  struct handle forged;
  memset(&forged, 0, sizeof(forged));
  forged.fh.handle_bytes = 8;
  forged.fh.handle_type = 1; /* FILEID_INO32_GEN */
  unsigned int ino_gen[2] = {2, 0};
  memcpy(forged.fh.f_handle, ino_gen, sizeof(ino_gen));
  open_outcome("open-by-forged-root-handle", open_by_handle_at(mount_fd, &forged.fh, O_RDONLY | O_CLOEXEC));
  // A handle of the workspace itself, which the workload may read: even that is refused.
  memset(&h, 0, sizeof(h));
  h.fh.handle_bytes = MAX_HANDLE_SZ;
  if (name_to_handle_at(AT_FDCWD, ".", &h.fh, &mount_id, 0) == 0) {
    open_outcome("open-by-handle-workspace", open_by_handle_at(mount_fd, &h.fh, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  } else {
    say("open-by-handle-workspace errno %s (no handle)", strerrorname_np(errno));
  }
  close(mount_fd);
  return 0;
}
