// io_uring opens, reads and writes files without the syscalls a seccomp filter
// sees (IORING_OP_OPENAT, IORING_OP_READ, IORING_OP_WRITE run in the kernel's
// workers): the filter must refuse io_uring_setup wherever opens are judged by
// path. When a ring can be made, this program uses it to read the secret and
// to create a file outside the workspace, so the test sees what it achieved.
#include "attack.h"

#include <linux/io_uring.h>
#include <sys/mman.h>

struct ring {
  int fd;
  struct io_uring_sqe* sqes;
  unsigned* sq_tail;
  unsigned* sq_mask;
  unsigned* sq_array;
  unsigned* cq_head;
  unsigned* cq_tail;
  unsigned* cq_mask;
  struct io_uring_cqe* cqes;
};

static int setup(struct ring* r) {
  struct io_uring_params p;
  memset(&p, 0, sizeof(p));
  r->fd = (int)syscall(SYS_io_uring_setup, 4, &p);
  if (r->fd < 0) return -1;
  size_t sq_size = p.sq_off.array + p.sq_entries * sizeof(unsigned);
  size_t cq_size = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
  char* sq = mmap(NULL, sq_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQ_RING);
  char* cq = mmap(NULL, cq_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_CQ_RING);
  r->sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
                 r->fd, IORING_OFF_SQES);
  if (sq == MAP_FAILED || cq == MAP_FAILED || r->sqes == MAP_FAILED) return -1;
  r->sq_tail = (unsigned*)(sq + p.sq_off.tail);
  r->sq_mask = (unsigned*)(sq + p.sq_off.ring_mask);
  r->sq_array = (unsigned*)(sq + p.sq_off.array);
  r->cq_head = (unsigned*)(cq + p.cq_off.head);
  r->cq_tail = (unsigned*)(cq + p.cq_off.tail);
  r->cq_mask = (unsigned*)(cq + p.cq_off.ring_mask);
  r->cqes = (struct io_uring_cqe*)(cq + p.cq_off.cqes);
  return 0;
}

/** Submits one sqe and waits for its completion; its result (a descriptor, a count, or -errno). */
static int submit(struct ring* r, struct io_uring_sqe* sqe) {
  unsigned tail = *r->sq_tail;
  unsigned index = tail & *r->sq_mask;
  r->sqes[index] = *sqe;
  r->sq_array[index] = index;
  __atomic_store_n(r->sq_tail, tail + 1, __ATOMIC_RELEASE);
  long rc = syscall(SYS_io_uring_enter, r->fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0);
  if (rc < 0) return -errno;
  unsigned head = *r->cq_head;
  int res = r->cqes[head & *r->cq_mask].res;
  __atomic_store_n(r->cq_head, head + 1, __ATOMIC_RELEASE);
  return res;
}

static void say_res(const char* name, int res) {
  if (res < 0) {
    say("%s errno %s", name, strerrorname_np(-res));
  } else {
    say("%s ok", name);
  }
}

int main(void) {
  const char* outside = need_env("ZVIZ_ATTACK_OUTSIDE");
  const char* secret = need_env("ZVIZ_ATTACK_SECRET");
  struct ring r;
  if (setup(&r) != 0) {
    outcome("io-uring-setup", -1);
    return 0;
  }
  say("io-uring-setup ok");
  struct io_uring_sqe sqe;
  memset(&sqe, 0, sizeof(sqe));
  sqe.opcode = IORING_OP_OPENAT;
  sqe.fd = AT_FDCWD;
  sqe.addr = (unsigned long)secret;
  sqe.open_flags = O_RDONLY | O_CLOEXEC;
  int fd = submit(&r, &sqe);
  if (fd < 0) {
    say_res("uring-open-secret", fd);
  } else {
    static char buf[256];
    memset(&sqe, 0, sizeof(sqe));
    sqe.opcode = IORING_OP_READ;
    sqe.fd = fd;
    sqe.addr = (unsigned long)buf;
    sqe.len = sizeof(buf);
    int n = submit(&r, &sqe);
    if (n > 0) {
      char text[2 * sizeof(buf) + 1];
      hex(text, (unsigned char*)buf, (size_t)n);
      say("uring-open-secret read %s", text);
    } else {
      say_res("uring-open-secret", n);
    }
  }
  char path[512];
  snprintf(path, sizeof(path), "%s/new-io-uring", outside);
  memset(&sqe, 0, sizeof(sqe));
  sqe.opcode = IORING_OP_OPENAT;
  sqe.fd = AT_FDCWD;
  sqe.addr = (unsigned long)path;
  sqe.open_flags = O_WRONLY | O_CREAT | O_CLOEXEC;
  sqe.len = 0644;
  say_res("uring-create-outside", submit(&r, &sqe));
  return 0;
}
