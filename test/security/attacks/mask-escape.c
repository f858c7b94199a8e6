// Ways around a mask (docs/security.md, "The agent's own files"): a mask is a
// mount over one path, so an attacker tries to reach the file under it by
// another name, or to take the mount away.
//
//   mask-escape try PATH TOP
//     For the masked PATH (a file) and each directory from its parent up to
//     TOP (inclusive), in order:
//       self-rename, self-unlink      rename(PATH) / unlink(PATH)
//       self-link                     link(PATH, ./link): a second name for what PATH shows
//       upN-rename                    rename of the Nth ancestor to NAME.zviz-moved; where it
//                                     succeeds, upN-read (PATH at its new name, as this
//                                     container sees it: read-hash) and upN-back (renamed back)
//     and, in a child that makes a user and a mount namespace of its own
//     (refused under every profile but observe: ns errno ...):
//       ns-umount                     umount2(PATH, MNT_DETACH)
//       ns-move                       mount --move PATH ./moved
//       ns-bind-parent                a bind (not recursive) of PATH's directory on ./parent,
//                                     then ns-bind-parent-read (./parent/NAME: read-hash)
//       ns-clone-parent               open_tree(parent, OPEN_TREE_CLONE), not recursive
//       ns-remount-rw                 mount -o remount,bind,rw of PATH's mask
//       ns-after-read                 PATH read again (read-hash)
//
//   mask-escape rename DIR            rename(DIR, DIR.zviz-moved) and leave it so
//                                     ("rename ok" / "rename errno E"), for a later
//                                     container to look for the file at the new name
//   mask-escape read PATH             "read read-hash ..." of PATH
// Prints "NAME OUTCOME" lines (attack.h).
#include "attack.h"

#include <libgen.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>

#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif

static void read_path(const char* name, const char* path) {
  read_hash_outcome(name, open(path, O_RDONLY | O_CLOEXEC));
}

static void moved_name(char* out, size_t size, const char* dir) {
  snprintf(out, size, "%s.zviz-moved", dir);
}

/** Tries to rename each ancestor of `path` up to `top`; where one moves, reads the file at its new name and moves it back. */
static void rename_ancestors(const char* path, const char* top) {
  char dir[4096];
  snprintf(dir, sizeof(dir), "%s", path);
  size_t top_len = strlen(top);
  for (int n = 1;; n++) {
    char* slash = strrchr(dir, '/');
    if (!slash || slash == dir) break;
    *slash = '\0';  // dir is now the nth ancestor
    if (strlen(dir) < top_len) break;
    char name[64], moved[4096], at_new[8192];
    snprintf(name, sizeof(name), "up%d-rename", n);
    moved_name(moved, sizeof(moved), dir);
    if (outcome(name, rename(dir, moved)) < 0) continue;
    snprintf(at_new, sizeof(at_new), "%s%s", moved, path + strlen(dir));
    snprintf(name, sizeof(name), "up%d-read", n);
    read_path(name, at_new);
    snprintf(name, sizeof(name), "up%d-back", n);
    outcome(name, rename(moved, dir));
  }
}

static void in_namespaces(const char* path) {
  if (unshare(CLONE_NEWUSER) != 0 || unshare(CLONE_NEWNS) != 0) {
    outcome("ns", -1);
    return;
  }
  say("ns ok");
  char copy[4096], parent[4096];
  snprintf(copy, sizeof(copy), "%s", path);
  snprintf(parent, sizeof(parent), "%s", dirname(copy));
  const char* name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
  mkdir("moved", 0755);
  mkdir("bound-parent", 0755);
  outcome("ns-umount", umount2(path, MNT_DETACH));
  outcome("ns-move", mount(path, "moved", NULL, MS_MOVE, NULL));
  if (outcome("ns-bind-parent", mount(parent, "bound-parent", NULL, MS_BIND, NULL)) == 0) {
    char inside[8192];
    snprintf(inside, sizeof(inside), "bound-parent/%s", name);
    read_path("ns-bind-parent-read", inside);
  }
  long tree = syscall(SYS_open_tree, AT_FDCWD, parent, OPEN_TREE_CLONE);
  outcome("ns-clone-parent", tree);
  outcome("ns-remount-rw", mount(NULL, path, NULL, MS_REMOUNT | MS_BIND, NULL));
  read_path("ns-after-read", path);
}

int main(int argc, char** argv) {
  if (argc == 3 && strcmp(argv[1], "rename") == 0) {
    char moved[4096];
    moved_name(moved, sizeof(moved), argv[2]);
    outcome("rename", rename(argv[2], moved));
    return 0;
  }
  if (argc == 3 && strcmp(argv[1], "read") == 0) {
    read_path("read", argv[2]);
    return 0;
  }
  if (argc != 4 || strcmp(argv[1], "try") != 0) {
    say("usage errno EINVAL");
    return 2;
  }
  const char* path = argv[2];
  char moved[4096];
  moved_name(moved, sizeof(moved), path);
  if (outcome("self-rename", rename(path, moved)) == 0) rename(moved, path);
  outcome("self-unlink", unlink(path));
  if (outcome("self-link", link(path, "link")) == 0) unlink("link");
  rename_ancestors(path, argv[3]);
  pid_t child = fork();
  if (child == 0) {
    in_namespaces(path);
    _exit(0);
  }
  int status;
  waitpid(child, &status, 0);
  return 0;
}
