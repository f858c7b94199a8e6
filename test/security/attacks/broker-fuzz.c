// Attack: fuzz the broker from inside (test/security/broker-fuzz.test.ts).
// Every syscall a built-in profile brokers, with hostile arguments, from many
// threads at once, with children forked and killed in the middle of their
// calls, for a bounded time from a printed seed:
//   open, openat, openat2 (open_how of every size, in memory made PROT_NONE
//   by another thread mid-call), creat, execve, execveat (in children: only
//   paths that cannot run), connect, sendto, sendmsg, sendmmsg, umask, and
//   the calls the filters refuse and the broker answers (acct, mount, bpf,
//   clone3, keyctl, ...); with --i386 also the i386 socketcall forms and
//   open/openat/creat through int $0x80.
// Arguments: NULL, small and kernel addresses, unmapped pages, strings
// without a NUL running into a page another thread flips between PROT_NONE
// and read-write (or unmaps and maps again), paths of 4,094 to 4,098 bytes,
// random flags and modes, descriptors that are FIFOs, sockets, O_PATH,
// eventfds, regular files, closed or -1.
//
// What it must never do to the node: every path that may be opened for
// writing or created lies in the workspace (relative to it, or to a
// descriptor of it); paths of the node are opened read-only only (their
// flags forced); execs name only empty files, directories and FIFOs;
// addresses are loopback ports nobody serves, unix sockets of its own or
// names nobody holds. The refused calls are made only with --refused (not
// under observe, whose filter lets the kernel run them).
//
//   broker-fuzz SEED SECONDS THREADS [--i386] [--refused]
// prints "seed SEED", then "calls OP N" per operation and "children N".
//   broker-fuzz steady SECONDS
// is the other container meanwhile (steady() below).
#include "attack.h"

#include <linux/openat2.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>

#define MAX_THREADS 32
#define FUZZ_FILES 64

enum op {
  OP_OPEN,
  OP_OPENAT,
  OP_OPENAT2,
  OP_CREAT,
  OP_UMASK,
  OP_CONNECT,
  OP_SENDTO,
  OP_SENDMSG,
  OP_SENDMMSG,
  OP_READ_ONLY,
  OP_REFUSED,
  OP_I386,
  OP_COUNT
};
static const char* const op_names[OP_COUNT] = {"open",    "openat",  "openat2", "creat",     "umask",   "connect",
                                               "sendto",  "sendmsg", "sendmmsg", "read-only", "refused", "i386"};

static _Atomic long calls[OP_COUNT];
static _Atomic long children;
static _Atomic int stop;
static int with_i386, with_refused;
static long page;

// Two pages per thread: strings end at the first's last byte and run into
// the second, which the flipper makes PROT_NONE, read-write, or replaces
// with a new zeroed mapping; nothing is ever written there, so whatever a call reads there is
// zeros or a fault. Per thread, so that no thread's bytes become another's
// path or address.
static __thread char* flip;
static char* flips[MAX_THREADS + 2];
static _Atomic int flip_count;
// A page that stays PROT_NONE for the whole run: a page unmapped instead
// would be taken by the next mmap (a thread's stack), and a call given its
// address would read or write that.
static char* no_access;
// Below 4 GiB, for i386 calls (32-bit pointers), per thread too.
static __thread char* low;

static char workspace[1024];

// Descriptors: the write pool names only workspace objects.
static int ws_fd, ws_path_fd, file_fd, fifo_fd, event_fd, proc_fd;
static int sock[5];  // unix stream, unix dgram, inet stream, inet dgram, inet6 dgram (-1 where refused)

static const char* write_names[] = {
    "fz/f0", "fz/f1", "fz/f2", "fz", ".", "", "fz-fifo", "fz/../fz/f3", "fz/f0/", "fz/nodir/x", "fz/f4",
};
#define WRITE_NAMES (sizeof(write_names) / sizeof(write_names[0]))
static const char* read_paths[] = {
    "/etc/hostname", "/", "/proc/self/status", "/proc/self/fd/0", "/proc/1/mem", "/proc/self/mem",
    "/dev/null", "/dev/tty", "/proc/self/root/etc/hostname", "/proc/thread-self/cwd", "/proc/self/fd",
    "/etc/shadow", "/dev/stdout", "/proc/1/root", "/proc/self/exe", "/proc/self/ns/mnt",
};
#define READ_PATHS (sizeof(read_paths) / sizeof(read_paths[0]))
static const char* proc_names[] = {"self/fd/0", "1/root", "self/root/etc", "thread-self/fd/1", "self/mem", "1/environ"};
#define PROC_NAMES (sizeof(proc_names) / sizeof(proc_names[0]))

// Long relative paths into the workspace: "./" repeated, then "fz/f1", of 4,094..4,098 bytes.
static char long_paths[5][4200];

static inline uint64_t next(uint64_t* s) {
  uint64_t x = *s;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return *s = x;
}
static inline uint64_t below(uint64_t* s, uint64_t n) { return n ? next(s) % n : 0; }

static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/** A hostile pointer, or NULL: small, kernel, unmapped, or in the flipped page. */
static void* bad_pointer(uint64_t* s) {
  switch (below(s, 5)) {
    case 0:
      return NULL;
    case 1:
      return (void*)(uintptr_t)(1 + below(s, 4096));
    case 2:
      return (void*)0xffff800000000000ULL;
    case 3:
      return no_access + below(s, (uint64_t)page);
    default:
      return flip + page + below(s, (uint64_t)page);
  }
}

/** A hostile pointer the kernel may write through: never the flipped page, which must stay zero. */
static void* bad_writable_pointer(uint64_t* s) {
  void* p;
  do {
    p = bad_pointer(s);
  } while ((char*)p >= flip && (char*)p < flip + 2 * page);
  return p;
}

/** `text` placed so that its NUL (or, with `cut`, its last byte) is the first page's last byte. */
static char* at_page_end(const char* text, int cut) {
  size_t n = strlen(text) + (cut ? 0 : 1);
  char* p = flip + page - n;
  memcpy(p, text, n);
  return p;
}

/** A path that may be opened with any flags: it names the workspace or nothing. */
static const char* write_path(uint64_t* s) {
  static __thread char abs_path[1200];
  switch (below(s, 8)) {
    case 0:
      return long_paths[below(s, 5)];
    case 1:
      return bad_pointer(s);
    case 2:
      // A name without its NUL, running into the flipped page: EFAULT, or
      // (once the page reads zero) a workspace name.
      return at_page_end("fz/ffffffffffffffff", below(s, 2));
    case 3:
      snprintf(abs_path, sizeof(abs_path), "%s/%s", workspace, write_names[below(s, WRITE_NAMES)]);
      return abs_path;
    default:
      return write_names[below(s, WRITE_NAMES)];
  }
}

/** A directory descriptor for write paths: the workspace's, or one that is not a directory, closed or -1. */
static int write_dirfd(uint64_t* s) {
  const int fds[] = {AT_FDCWD, ws_fd, ws_path_fd, file_fd, fifo_fd, event_fd, sock[0], sock[1], 9999, -1, -100000};
  return fds[below(s, sizeof(fds) / sizeof(fds[0]))];
}

static int any_flags(uint64_t* s) {
  switch (below(s, 3)) {
    case 0:
      return (int)next(s);
    case 1: {
      static const int bits[] = {O_WRONLY, O_RDWR,     O_CREAT,  O_EXCL,     O_TRUNC,   O_APPEND, O_NONBLOCK,
                                 O_DIRECTORY, O_NOFOLLOW, O_CLOEXEC, O_TMPFILE, O_PATH,   O_NOCTTY, O_DSYNC,
                                 O_SYNC,   O_NOATIME,  O_LARGEFILE, __O_TMPFILE};
      int f = 0;
      for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
        if (below(s, 3) == 0) f |= bits[i];
      }
      return f;
    }
    default:
      return (int)(below(s, 3) | (below(s, 2) ? O_CREAT : 0) | (below(s, 2) ? O_TRUNC : 0));
  }
}

/** Flags that cannot write: a read, with harmless bits. */
static int read_flags(uint64_t* s) {
  static const int bits[] = {O_NONBLOCK, O_CLOEXEC, O_DIRECTORY, O_NOFOLLOW, O_PATH, O_NOCTTY, O_LARGEFILE};
  int f = O_RDONLY;
  for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
    if (below(s, 3) == 0) f |= bits[i];
  }
  return f;
}

static void done_fd(long fd) {
  if (fd >= 0) close((int)fd);
}

/** A socket address: a family, a loopback address nobody serves, or bytes. */
static void* address(uint64_t* s, socklen_t* len, char* room, size_t room_size) {
  if (below(s, 6) == 0) {
    *len = (socklen_t)below(s, 200);
    return bad_pointer(s);
  }
  memset(room, 0, room_size);
  switch (below(s, 5)) {
    case 0: {
      struct sockaddr_in* in = (struct sockaddr_in*)room;
      in->sin_family = AF_INET;
      in->sin_port = htons(below(s, 2) ? 1 : 9);
      in->sin_addr.s_addr = htonl(0x7f000000u | (uint32_t)below(s, 1 << 24));
      *len = sizeof(*in);
      break;
    }
    case 1: {
      struct sockaddr_in6* in6 = (struct sockaddr_in6*)room;
      in6->sin6_family = AF_INET6;
      in6->sin6_port = htons(1);
      in6->sin6_addr.s6_addr[15] = 1;
      *len = sizeof(*in6);
      break;
    }
    case 2: {
      struct sockaddr_un* un = (struct sockaddr_un*)room;
      un->sun_family = AF_UNIX;
      if (below(s, 2)) {
        snprintf(un->sun_path + 1, sizeof(un->sun_path) - 1, "zviz-fuzz-%lu", (unsigned long)below(s, 1000));
      } else {
        snprintf(un->sun_path, sizeof(un->sun_path), "%s", below(s, 2) ? "fz/sock" : "fz/f1");
      }
      *len = (socklen_t)(below(s, 2) ? sizeof(*un) : below(s, sizeof(*un) + 8));
      break;
    }
    case 3: {
      // sun_path without a NUL, all 108 bytes.
      struct sockaddr_un* un = (struct sockaddr_un*)room;
      un->sun_family = AF_UNIX;
      memset(un->sun_path, 'z', sizeof(un->sun_path));
      *len = sizeof(*un);
      break;
    }
    default:
      for (size_t i = 0; i < room_size; i++) room[i] = (char)next(s);
      ((struct sockaddr*)room)->sa_family = (sa_family_t)below(s, 48);
      if (((struct sockaddr*)room)->sa_family == AF_INET || ((struct sockaddr*)room)->sa_family == AF_INET6) {
        ((struct sockaddr*)room)->sa_family = AF_UNSPEC;  // random bytes would name a host
      }
      *len = (socklen_t)below(s, room_size + 1);
  }
  if (below(s, 8) == 0) {
    // The same address ending on the flipped page's edge.
    char* p = flip + page - *len;
    memcpy(p, room, *len);
    return p;
  }
  return room;
}

static int any_socket(uint64_t* s) {
  const int pick = (int)below(s, 7);
  return pick < 5 ? sock[pick] : (pick == 5 ? file_fd : 9999);
}

static void fill_msghdr(uint64_t* s, struct msghdr* m, struct iovec* iov, char* room, size_t room_size) {
  static char payload[64] = "zviz-fuzz";
  memset(m, 0, sizeof(*m));
  socklen_t len = 0;
  m->msg_name = below(s, 3) ? address(s, &len, room, room_size) : NULL;
  m->msg_namelen = len;
  iov[0].iov_base = below(s, 6) ? payload : bad_pointer(s);
  iov[0].iov_len = below(s, 8) ? below(s, sizeof(payload)) : (size_t)next(s);
  m->msg_iov = below(s, 8) ? iov : bad_pointer(s);
  m->msg_iovlen = below(s, 8) ? 1 : below(s, 2048);
  if (below(s, 6) == 0) {
    m->msg_control = bad_pointer(s);
    m->msg_controllen = below(s, 256);
  }
}

static void fuzz_one(uint64_t* s, int in_child) {
  char room[160];
  const enum op op = (enum op)below(s, OP_COUNT);
  switch (op) {
    case OP_OPEN: {
      const char* p = write_path(s);
      done_fd(syscall(SYS_open, p, any_flags(s), (int)below(s, 07777)));
      break;
    }
    case OP_OPENAT: {
      const char* p = write_path(s);
      done_fd(syscall(SYS_openat, write_dirfd(s), p, any_flags(s), (int)next(s)));
      break;
    }
    case OP_OPENAT2: {
      struct open_how how = {0};
      how.flags = (uint64_t)(unsigned)any_flags(s) | (below(s, 10) == 0 ? next(s) << 32 : 0);
      how.mode = below(s, 4) ? below(s, 07777) : next(s);
      how.resolve = below(s, 2) ? below(s, 64) : next(s);
      size_t size = (size_t)(below(s, 3) ? below(s, 4) * 8 : below(s, 2 * (uint64_t)page));
      const char* p = write_path(s);
      void* where;
      switch (below(s, 4)) {
        case 0: {
          // Ending on the first page's last byte: a larger size runs into the flipped page.
          char* h = flip + page - sizeof(how);
          memcpy(h, &how, sizeof(how));
          where = h;
          break;
        }
        case 1:
          where = bad_pointer(s);
          break;
        default: {
          static __thread char big[8192];
          memset(big, 0, sizeof(big));
          memcpy(big, &how, sizeof(how));
          if (below(s, 4) == 0) big[sizeof(how) + below(s, 64)] = 1;  // a non-zero tail
          where = big;
          if (size > sizeof(big)) size = sizeof(big);
        }
      }
      done_fd(syscall(SYS_openat2, write_dirfd(s), p, where, size));
      break;
    }
    case OP_CREAT:
      // The workspace's FIFO has both ends held here: creat() on it does not wait.
      done_fd(syscall(SYS_creat, write_path(s), (int)next(s)));
      break;
    case OP_UMASK:
      syscall(SYS_umask, below(s, 2) ? (long)below(s, 01000) : (long)next(s));
      break;
    case OP_CONNECT: {
      socklen_t len = 0;
      void* a = address(s, &len, room, sizeof(room));
      syscall(SYS_connect, any_socket(s), a, below(s, 10) ? (long)len : (long)next(s));
      break;
    }
    case OP_SENDTO: {
      socklen_t len = 0;
      void* a = below(s, 5) ? address(s, &len, room, sizeof(room)) : NULL;
      static const char data[] = "zviz-fuzz";
      const int flags = MSG_DONTWAIT | MSG_NOSIGNAL | (below(s, 3) == 0 ? MSG_FASTOPEN : 0) |
                        (below(s, 5) == 0 ? (int)(next(s) & (MSG_OOB | MSG_CONFIRM | MSG_EOR | MSG_MORE)) : 0);
      syscall(SYS_sendto, any_socket(s), below(s, 8) ? (const void*)data : bad_pointer(s),
              below(s, 8) ? below(s, sizeof(data)) : next(s), flags, a, (long)len);
      break;
    }
    case OP_SENDMSG: {
      struct msghdr m;
      struct iovec iov[1];
      fill_msghdr(s, &m, iov, room, sizeof(room));
      void* where = &m;
      if (below(s, 8) == 0) {
        // Ending on the first page: the fields past msg_namelen may run into
        // the flipped page (zeros or a fault); the address itself stays whole.
        char* h = flip + page - 16 - below(s, sizeof(m) - 15);
        memcpy(h, &m, (size_t)(flip + page - h));
        where = h;
      }
      syscall(SYS_sendmsg, any_socket(s), below(s, 12) ? where : bad_pointer(s), MSG_DONTWAIT | MSG_NOSIGNAL);
      break;
    }
    case OP_SENDMMSG: {
      // Entries past the ones filled are zero (no address: the socket's
      // peer), so a vlen beyond them never reads an address from the stack.
      static __thread struct mmsghdr v[64];
      struct iovec iov[8][1];
      static __thread char rooms[8][160];
      memset(v, 0, sizeof(v));
      const unsigned n = (unsigned)(1 + below(s, 8));
      for (unsigned i = 0; i < n; i++) fill_msghdr(s, &v[i].msg_hdr, iov[i], rooms[i], sizeof(rooms[i]));
      const unsigned vlen = below(s, 6) ? n : (unsigned)below(s, 64);
      syscall(SYS_sendmmsg, any_socket(s), below(s, 10) ? (void*)v : bad_writable_pointer(s), vlen, MSG_DONTWAIT | MSG_NOSIGNAL);
      break;
    }
    case OP_READ_ONLY: {
      // The node's paths, read-only only.
      const char* p = read_paths[below(s, READ_PATHS)];
      switch (below(s, 3)) {
        case 0:
          done_fd(syscall(SYS_open, p, read_flags(s), 0));
          break;
        case 1:
          done_fd(syscall(SYS_openat, proc_fd, proc_names[below(s, PROC_NAMES)], read_flags(s), 0));
          break;
        default: {
          struct open_how how = {.flags = (uint64_t)read_flags(s), .resolve = below(s, 64)};
          done_fd(syscall(SYS_openat2, below(s, 2) ? AT_FDCWD : proc_fd,
                          below(s, 2) ? p : proc_names[below(s, PROC_NAMES)], &how, sizeof(how)));
        }
      }
      break;
    }
    case OP_REFUSED:
      if (!with_refused) return;
      switch (below(s, 10)) {
        case 0:
          syscall(SYS_acct, below(s, 2) ? (void*)write_path(s) : bad_pointer(s));
          break;
        case 1:
          syscall(SYS_mount, write_path(s), write_path(s), bad_pointer(s), next(s), bad_pointer(s));
          break;
        case 2:
          syscall(SYS_bpf, below(s, 40), bad_pointer(s), below(s, 256));
          break;
        case 3:
          syscall(SYS_clone3, below(s, 2) ? (void*)room : bad_pointer(s), below(s, 200));
          break;
        case 4:
          syscall(SYS_keyctl, below(s, 30), next(s), next(s), next(s), next(s));
          break;
        case 5:
          syscall(SYS_io_uring_setup, below(s, 64), bad_pointer(s));
          break;
        case 6:
          syscall(SYS_name_to_handle_at, write_dirfd(s), write_path(s), bad_pointer(s), bad_pointer(s), 0);
          break;
        case 7:
          syscall(SYS_init_module, bad_pointer(s), below(s, 1 << 20), write_path(s));
          break;
        case 8:
          syscall(SYS_perf_event_open, bad_pointer(s), -1, -1, -1, 0);
          break;
        default:
          syscall(SYS_umount2, write_path(s), (int)below(s, 16));
      }
      break;
    case OP_I386: {
      if (!with_i386) return;
      // 32-bit pointers into `low`: its first page holds a workspace path, the
      // second random words the calls read as arguments, messages and addresses.
      // Read as addresses, no word names an IPv4 or IPv6 family (no packet
      // leaves for a host chosen at random); pointers are 4-aligned into
      // `low`, and random values lie above 2 GiB, where nothing is mapped.
      uint32_t* words = (uint32_t*)(low + page);
      for (int i = 0; i < 64; i++) {
        const uint64_t kind = below(s, 4);
        uint32_t w = kind == 0   ? (uint32_t)(uintptr_t)(low + 4 * below(s, (2 * (uint64_t)page - 64) / 4))
                     : kind == 1 ? (uint32_t)sock[below(s, 5)]
                     : kind == 2 ? (uint32_t)below(s, 256)
                                 : (uint32_t)next(s) | 0x80000000u;
        if ((w & 0xffff) == AF_INET || (w & 0xffff) == AF_INET6) w |= 0x100;
        words[i] = w;
      }
      const char* name = write_names[below(s, WRITE_NAMES)];
      if (strstr(name, "fifo")) name = "fz/f2";
      snprintf(low, (size_t)page, "%s", name);
      long nr, a = 0, b = 0, c = 0;
      switch (below(s, 5)) {
        case 0: {
          static const int forms[] = {3 /* SYS_CONNECT */, 11 /* SYS_SENDTO */, 16 /* SYS_SENDMSG */, 20 /* SYS_SENDMMSG */};
          nr = 102;  // socketcall
          a = forms[below(s, 4)];
          b = (long)(uintptr_t)(below(s, 6) ? (void*)words : bad_pointer(s));
          if ((uintptr_t)b > 0xffffffffu) b = 1;
          break;
        }
        case 1:
          nr = 5;  // open
          a = (long)(uintptr_t)low;
          b = any_flags(s);
          c = (long)below(s, 07777);
          break;
        case 2:
          nr = 295;  // openat
          a = write_dirfd(s);
          b = (long)(uintptr_t)low;
          c = any_flags(s);
          break;
        case 3:
          nr = 8;  // creat
          a = (long)(uintptr_t)low;
          b = (long)next(s);
          break;
        default:
          nr = 60;  // umask
          a = (long)below(s, 01000);
      }
      long rc;
      __asm__ volatile("int $0x80" : "=a"(rc) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory", "r8", "r9", "r10", "r11");
      if (rc >= 0 && (nr == 5 || nr == 295 || nr == 8)) close((int)rc);
      break;
    }
    case OP_COUNT:
      return;
  }
  if (!in_child) atomic_fetch_add_explicit(&calls[op], 1, memory_order_relaxed);
}

static void own_areas(void) {
  flip = mmap(NULL, 2 * (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  low = mmap(NULL, 2 * (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
  if (flip == MAP_FAILED || low == MAP_FAILED) {
    say("setup errno %s", strerrorname_np(errno));
    exit(2);
  }
  flips[atomic_fetch_add(&flip_count, 1)] = flip;
}

static void* fuzzer(void* arg) {
  uint64_t s = (uint64_t)(uintptr_t)arg;
  own_areas();
  while (!atomic_load_explicit(&stop, memory_order_relaxed)) fuzz_one(&s, 0);
  return NULL;
}

/** Makes a thread's second page PROT_NONE, read-write, a new mapping or dropped, over and over. */
static void* flipper(void* arg) {
  uint64_t s = (uint64_t)(uintptr_t)arg;
  while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
    const int n = atomic_load(&flip_count);
    if (n == 0) continue;
    char* flip = flips[below(&s, (uint64_t)n)];
    switch (below(&s, 4)) {
      case 0:
        mprotect(flip + page, (size_t)page, PROT_NONE);
        break;
      case 1:
        mprotect(flip + page, (size_t)page, PROT_READ | PROT_WRITE);
        break;
      case 2:
        // A new mapping in place of the old one, in one step: an munmap
        // first would leave a hole another thread's mmap could take.
        mmap(flip + page, (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
        break;
      default:
        madvise(flip + page, (size_t)page, MADV_DONTNEED);
    }
    for (volatile int i = 0; i < (int)below(&s, 2000); i++) {
    }
  }
  return NULL;
}

/**
 * Children killed in the middle of their calls: each makes brokered calls
 * (among them a blocking open of a FIFO nobody writes, and execs of files
 * that cannot run) until it is sent SIGKILL a few milliseconds in.
 */
static void* killer(void* arg) {
  uint64_t s = (uint64_t)(uintptr_t)arg;
  own_areas();
  while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
    const uint64_t kind = below(&s, 3);
    const pid_t pid = fork();
    if (pid == 0) {
      uint64_t cs = s ^ 0x9e3779b97f4a7c15ULL;
      if (kind == 0) {
        syscall(SYS_open, "fz-fifo2", below(&cs, 2) ? O_RDONLY : O_WRONLY);  // waits for the other end
      } else if (kind == 1) {
        static const char* const cannot_run[] = {"fz/f0", "fz", "fz-fifo", "fz/none", "."};
        char* argv[] = {(char*)"x", NULL};
        for (int i = 0; i < 50; i++) {
          const char* p = below(&cs, 4) ? cannot_run[below(&cs, 5)] : (const char*)bad_pointer(&cs);
          if (below(&cs, 2)) {
            syscall(SYS_execve, p, below(&cs, 4) ? (void*)argv : bad_pointer(&cs), below(&cs, 4) ? NULL : bad_pointer(&cs));
          } else {
            syscall(SYS_execveat, below(&cs, 2) ? file_fd : write_dirfd(&cs), p, argv, NULL,
                    below(&cs, 2) ? AT_EMPTY_PATH : (int)below(&cs, 0x2000));
          }
        }
      }
      for (;;) fuzz_one(&cs, 1);
    }
    if (pid > 0) {
      atomic_fetch_add(&children, 1);
      struct timespec wait = {0, (long)below(&s, 4000000)};
      nanosleep(&wait, NULL);
      kill(pid, SIGKILL);
      while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
      }
    }
    next(&s);
  }
  return NULL;
}

static void setup(void) {
  page = sysconf(_SC_PAGESIZE);
  if (!getcwd(workspace, sizeof(workspace))) exit(2);
  mkdir("fz", 0755);
  for (int i = 0; i < 5; i++) {
    int fd = open(write_names[i < 3 ? i : 10], O_WRONLY | O_CREAT, 0644);
    if (fd >= 0) close(fd);
  }
  unlink("fz-fifo");
  unlink("fz-fifo2");
  if (mkfifo("fz-fifo", 0644) != 0 || mkfifo("fz-fifo2", 0644) != 0) {
    say("setup errno %s", strerrorname_np(errno));
    exit(2);
  }
  // Both ends held: by name, the FIFO never waits in this process's threads.
  fifo_fd = open("fz-fifo", O_RDWR | O_NONBLOCK);
  ws_fd = open(".", O_RDONLY | O_DIRECTORY);
  ws_path_fd = open(".", O_PATH);
  file_fd = open("fz/f0", O_RDONLY);
  event_fd = eventfd(0, EFD_NONBLOCK);
  proc_fd = open("/proc", O_RDONLY | O_DIRECTORY);
  const int kinds[5][2] = {{AF_UNIX, SOCK_STREAM}, {AF_UNIX, SOCK_DGRAM}, {AF_INET, SOCK_STREAM}, {AF_INET, SOCK_DGRAM},
                           {AF_INET6, SOCK_DGRAM}};
  for (int i = 0; i < 5; i++) sock[i] = socket(kinds[i][0], kinds[i][1] | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  no_access = mmap(NULL, (size_t)page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (no_access == MAP_FAILED || fifo_fd < 0 || ws_fd < 0 || file_fd < 0) {
    say("setup errno %s", strerrorname_np(errno));
    exit(2);
  }
  for (int i = 0; i < 5; i++) {
    const size_t length = 4094 + (size_t)i;  // without the NUL
    char* p = long_paths[i];
    size_t at = 0;
    while (at + 2 + 5 < length) {
      p[at++] = '.';
      p[at++] = '/';
    }
    while (at + 5 < length) p[at++] = '/';
    memcpy(p + at, "fz/f1", 5);
    p[length] = '\0';
  }
}

/**
 * The other container: for SECONDS, opens a workspace file and reads it back,
 * and asks for a file lease, which every filter refuses (EINVAL) through the
 * broker.
 */
static int steady(long seconds) {
  const char text[] = "steady\n";
  int fd = open("steady-file", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || write(fd, text, sizeof(text) - 1) != (ssize_t)(sizeof(text) - 1)) {
    outcome("steady-setup", -1);
    return 2;
  }
  close(fd);
  long opens = 0, wrong = 0, refused = 0, gone = 0, worst = 0;
  const long end = now_ms() + seconds * 1000;
  for (long last = now_ms(); last < end;) {
    char buf[16] = {0};
    fd = open("steady-file", O_RDONLY);
    if (fd < 0 || read(fd, buf, sizeof(buf)) != (ssize_t)(sizeof(text) - 1) || memcmp(buf, text, sizeof(text) - 1) != 0) {
      wrong++;
    } else {
      opens++;
    }
    // Every filter refuses file leases with EINVAL, answered by the broker;
    // with the supervisor gone the kernel would answer ENOSYS.
    if (fd >= 0) {
      if (fcntl(fd, F_SETLEASE, F_RDLCK) < 0) {
        if (errno == EINVAL) refused++; else gone++;
      } else {
        gone++;  // a lease taken: nothing refused it
      }
      close(fd);
    }
    const long t = now_ms();
    if (t - last > worst) worst = t - last;
    last = t;
  }
  say("steady opens %ld wrong %ld refused %ld gone %ld worst-ms %ld", opens, wrong, refused, gone, worst);
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 3 && strcmp(argv[1], "steady") == 0) return steady(strtol(argv[2], NULL, 10));
  if (argc < 4) {
    say("usage: broker-fuzz SEED SECONDS THREADS [--i386] [--refused]");
    return 2;
  }
  const uint64_t seed = strtoull(argv[1], NULL, 10);
  const long seconds = strtol(argv[2], NULL, 10);
  int threads = (int)strtol(argv[3], NULL, 10);
  if (threads < 1 || threads > MAX_THREADS) threads = 4;
  for (int i = 4; i < argc; i++) {
    if (strcmp(argv[i], "--i386") == 0) with_i386 = 1;
    if (strcmp(argv[i], "--refused") == 0) with_refused = 1;
  }
  say("seed %llu", (unsigned long long)seed);
  setup();
  signal(SIGPIPE, SIG_IGN);
  pthread_t t[MAX_THREADS + 2];
  const uint64_t base = seed * 0x2545f4914f6cdd1dULL + 1;
  for (int i = 0; i < threads; i++) pthread_create(&t[i], NULL, fuzzer, (void*)(uintptr_t)(base + (uint64_t)i * 7919));
  pthread_create(&t[threads], NULL, flipper, (void*)(uintptr_t)(base ^ 0xabcdef));
  pthread_create(&t[threads + 1], NULL, killer, (void*)(uintptr_t)(base ^ 0x123457));
  const long end = now_ms() + seconds * 1000;
  while (now_ms() < end) {
    struct timespec tick = {0, 100000000};
    nanosleep(&tick, NULL);
  }
  atomic_store(&stop, 1);
  for (int i = 0; i < threads + 2; i++) pthread_join(t[i], NULL);
  long total = 0;
  for (int i = 0; i < OP_COUNT; i++) {
    say("calls %s %ld", op_names[i], calls[i]);
    total += calls[i];
  }
  say("calls total %ld", total);
  say("children %ld", (long)children);
  // The workspace file the steady container also checks: this container
  // still opens after all of it.
  int fd = open("fz/f1", O_RDONLY);
  outcome("after", fd);
  return 0;
}
