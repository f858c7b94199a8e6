// Symlinks and directory symlinks: planted ones that lead out of the
// workspace (to the secret, to the victim, dangling into the outside
// directory, chains of them), and swapped ones: a thread exchanges a name
// between a harmless target and a forbidden one (RENAME_EXCHANGE, atomic)
// while the main thread opens it, so that a broker that checks one thing and
// opens another would be caught. argv[1]: opens per race (default 10000).
#include "race.h"

#include <sys/stat.h>

static const char* outside;

struct flip {
  struct race* r;
  const char* a;
  const char* b;
};

static void* exchanger(void* arg) {
  struct flip* f = arg;
  while (!atomic_load(&f->r->stop)) {
    syscall(SYS_renameat2, AT_FDCWD, f->a, AT_FDCWD, f->b, RENAME_EXCHANGE);
  }
  return NULL;
}

/** Opens `path` `n` times while `a` and `b` swap names; a successful write open writes one byte. */
static void swap_race(const char* name, const char* a, const char* b, const char* path, int flags, long n,
                      const char* harmless) {
  struct race r;
  race_start(&r, name, harmless);
  struct flip f = {&r, a, b};
  pthread_t thread;
  pthread_create(&thread, NULL, exchanger, &f);
  for (long i = 0; i < n; i++) {
    int fd = open(path, flags | O_CLOEXEC, 0644);
    if (fd >= 0 && (flags & O_ACCMODE) != O_RDONLY) {
      (void)!write(fd, "!", 1);
    }
    race_count(&r, fd);
  }
  atomic_store(&r.stop, 1);
  pthread_join(thread, NULL);
  race_report(&r);
}

/** mkdir through a swapping directory name (no broker: the mounts alone answer). */
static void mkdir_race(const char* name, const char* a, const char* b, const char* path, long n) {
  struct race r;
  race_start(&r, name, "");
  struct flip f = {&r, a, b};
  pthread_t thread;
  pthread_create(&thread, NULL, exchanger, &f);
  for (long i = 0; i < n; i++) {
    if (mkdir(path, 0755) == 0) {
      r.opened++;
      rmdir(path);
    } else {
      r.refused++;
    }
  }
  atomic_store(&r.stop, 1);
  pthread_join(thread, NULL);
  race_report(&r);
}

static const char* at(const char* name) {
  static char paths[16][512];
  static int next;
  char* out = paths[next++ % 16];
  snprintf(out, 512, "%s/%s", outside, name);
  return out;
}

static void link_to(const char* target, const char* name) {
  unlink(name);
  if (symlink(target, name) != 0) {
    say("setup errno %s (symlink %s)", strerrorname_np(errno), name);
    exit(2);
  }
}

int main(int argc, char** argv) {
  outside = need_env("ZVIZ_ATTACK_OUTSIDE");
  const char* secret = need_env("ZVIZ_ATTACK_SECRET");
  const char* victim = need_env("ZVIZ_ATTACK_VICTIM");
  long n = race_iterations(argc, argv);
  const char* harmless = "harmless\n";
  write_file("harmless", harmless);
  mkdir("realdir", 0755);
  write_file("realdir/secret", harmless);
  mkdir("realdir2", 0755);

  // Planted links, no race.
  link_to(secret, "to-secret");
  open_outcome("link-to-secret", open("to-secret", O_RDONLY | O_CLOEXEC));
  open_outcome("link-to-secret-nofollow", open("to-secret", O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  link_to(outside, "to-outside");
  open_outcome("dirlink-to-outside", open("to-outside/secret", O_RDONLY | O_CLOEXEC));
  link_to("/etc/shadow", "to-shadow");
  read_hash_outcome("link-to-etc-shadow", open("to-shadow", O_RDONLY | O_CLOEXEC));
  link_to("to-secret", "chain-1");
  link_to("chain-1", "chain-2");
  open_outcome("link-chain-to-secret", open("chain-2", O_RDONLY | O_CLOEXEC));
  link_to(victim, "to-victim");
  int fd = open("to-victim", O_WRONLY | O_APPEND | O_CLOEXEC);
  if (outcome("link-to-victim-write", fd) >= 0) {
    (void)!write(fd, "!", 1);
    close(fd);
  }
  link_to(at("new-dangling"), "dangling");
  fd = open("dangling", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (outcome("dangling-link-create", fd) >= 0) close(fd);
  link_to(at("new-dangling-chain"), "dangling-2");
  link_to("dangling-2", "dangling-1");
  fd = open("dangling-1", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (outcome("dangling-chain-create", fd) >= 0) close(fd);

  // Swapped links.
  link_to("harmless", "swap-file");
  link_to(secret, "swap-file-other");
  swap_race("swap-file-read", "swap-file", "swap-file-other", "swap-file", O_RDONLY, n, harmless);

  link_to(outside, "swap-dir");
  swap_race("swap-dir-read", "realdir", "swap-dir", "realdir/secret", O_RDONLY, n, harmless);

  write_file("write-target", "");
  link_to("write-target", "swap-write");
  link_to(victim, "swap-write-other");
  swap_race("swap-file-write-victim", "swap-write", "swap-write-other", "swap-write", O_WRONLY | O_APPEND, n, "");

  link_to("create-target", "swap-create");
  link_to(at("new-swapped"), "swap-create-other");
  swap_race("swap-file-create", "swap-create", "swap-create-other", "swap-create", O_WRONLY | O_CREAT, n, "");

  link_to(outside, "swap-dir2");
  swap_race("swap-dir-create", "realdir2", "swap-dir2", "realdir2/new-dirswap", O_WRONLY | O_CREAT, n, "");
  mkdir_race("swap-dir-mkdir", "realdir2", "swap-dir2", "realdir2/new-dirswap-mkdir", n);
  return 0;
}
