// The kernel's names that hostile-parent.c (which sets what a child inherits)
// and inherited.c (which reads it) both need and glibc does not define: the
// I/O priority values of linux/ioprio.h, and the kernel's struct sigaction
// for a raw rt_sigaction (glibc's refuses signals 32 and 33, which it keeps).
#ifndef ZVIZ_INHERITANCE_H
#define ZVIZ_INHERITANCE_H

#define IOPRIO_CLASS_RT 1
#define IOPRIO_CLASS_SHIFT 13
#define IOPRIO_WHO_PROCESS 1

struct kernel_sigaction {
  void* handler;
  unsigned long flags;
  void* restorer;
  unsigned long mask;
};

#endif
