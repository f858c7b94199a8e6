// What the kernel tells about itself that helps an exploit: kernel
// addresses (/proc/kallsyms, /proc/iomem), physical page numbers
// (/proc/self/pagemap), kernel memory (/proc/kcore) and the firmware's tables
// (/sys/firmware: ACPI tables, EFI variables), every page frame's flags and
// counts (/proc/kpageflags, /proc/kpagecount), the slab caches
// (/proc/slabinfo) and the kernel's physical address (/sys/kernel/vmcoreinfo).
// Read-only attempts; the test states what each shows.
//   kernel-secrets
#include "attack.h"

#include <dirent.h>
#include <stdint.h>
#include <sys/mman.h>

/** Lines of an "ADDRESS ..." file (kallsyms, iomem: hex up to a space or '-') whose address is not zero. */
static void nonzero_addresses(const char* name, const char* path) {
  FILE* f = fopen(path, "re");
  if (f == NULL) {
    outcome(name, -1);
    return;
  }
  char line[512];
  long lines = 0, nonzero = 0;
  while (fgets(line, sizeof(line), f) != NULL) {
    const char* p = line;
    while (*p == ' ') p++;
    lines++;
    if (strtoull(p, NULL, 16) != 0) nonzero++;
  }
  fclose(f);
  say("%s ok lines=%s nonzero=%ld", name, lines > 0 ? "some" : "none", nonzero);
}

/** Bytes of the file's first MiB that are not zero ("NAME ok nonzero=N"): kpageflags and kpagecount are tables by page frame. */
static void nonzero_bytes(const char* name, const char* path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    outcome(name, -1);
    return;
  }
  static unsigned char buf[1 << 20];
  ssize_t n, total = 0;
  long nonzero = 0;
  while (total < (ssize_t)sizeof(buf) && (n = read(fd, buf + total, sizeof(buf) - (size_t)total)) > 0) total += n;
  close(fd);
  for (ssize_t i = 0; i < total; i++) nonzero += buf[i] != 0;
  say("%s ok nonzero=%ld", name, nonzero);
}

/** Lines of a text file ("NAME ok lines=N"). */
static void lines(const char* name, const char* path) {
  FILE* f = fopen(path, "re");
  if (f == NULL) {
    outcome(name, -1);
    return;
  }
  char line[512];
  long n = 0;
  while (fgets(line, sizeof(line), f) != NULL) n++;
  fclose(f);
  say("%s ok lines=%ld", name, n);
}

int main(void) {
  nonzero_addresses("kallsyms", "/proc/kallsyms");
  nonzero_addresses("iomem", "/proc/iomem");
  int fd = open("/proc/kcore", O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    outcome("kcore", -1);
  } else {
    char buf[64];
    ssize_t n = read(fd, buf, sizeof(buf));
    say("kcore ok read=%zd", n);
    close(fd);
  }
  entries("firmware", "/sys/firmware");
  // Every page frame's flags, use count and memory cgroup (free frames, the
  // kernel's own, shared ones: the layout a physical-memory attack such as
  // Rowhammer needs), the slab caches' use (feedback for heap grooming), and
  // the physical address of the kernel's vmcoreinfo note (where the kernel
  // was loaded).
  nonzero_bytes("kpageflags", "/proc/kpageflags");
  nonzero_bytes("kpagecount", "/proc/kpagecount");
  lines("slabinfo", "/proc/slabinfo");
  nonzero_addresses("vmcoreinfo", "/sys/kernel/vmcoreinfo");
  // The physical frame of a page of its own: bits 0-54 of its pagemap entry.
  volatile char* page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  page[0] = 1;
  fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  uint64_t entry = 0;
  if (fd < 0 || pread(fd, &entry, sizeof(entry), (off_t)((uintptr_t)page / 4096) * 8) != sizeof(entry)) {
    outcome("pagemap-pfn", -1);
  } else {
    say("pagemap-pfn ok present=%d pfn=%s", (int)(entry >> 63), (entry & ((1ULL << 55) - 1)) ? "shown" : "zero");
  }
  if (fd >= 0) close(fd);
  return 0;
}
