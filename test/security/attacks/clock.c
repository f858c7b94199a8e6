// Attack: changing the node's clock, which every process of the node shares
// (no namespace holds the wall clock): stepping it (clock_settime,
// settimeofday, adjtimex and clock_adjtime with ADJ_SETOFFSET), slewing it or
// changing its rate (ADJ_OFFSET, ADJ_FREQUENCY, ADJ_TICK), its leap-second
// and status flags (ADJ_STATUS), the hardware clock (/dev/rtc0 and its
// RTC_SET_TIME), and the time namespace's offsets (its own
// /proc/self/timens_offsets; a new time namespace). Each change asks for a
// quarter of a second, or for the value the clock already has (rate, tick,
// status): an attack that got through moves the node's clock by at most that
// much, and the test sees it. "adjtimex-read" (modes 0, which Docker allows)
// reads the clock's state, and so do "clock-adjtime-read" and the
// ADJ_OFFSET_SS_READ forms. With the argument "nested" (a profile that allows
// user namespaces, observe), a child in a user namespace of its own makes a
// time namespace and moves its own monotonic clock by an hour: "nested-timens
// ok DELTA" with the offset its grandchild sees.
// With the argument "report", run on the bare host: the clock's state,
// "state FREQ TICK STATUS".
#include "attack.h"

#include <linux/rtc.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <time.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const long kStepNs = 250 * 1000 * 1000L;

static void step(const char* name, int how) {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  now.tv_nsec += kStepNs;
  if (now.tv_nsec >= 1000000000L) {
    now.tv_sec += 1;
    now.tv_nsec -= 1000000000L;
  }
  if (how == 0) {
    outcome(name, syscall(SYS_clock_settime, CLOCK_REALTIME, &now));
  } else {
    struct timeval tv = {now.tv_sec, now.tv_nsec / 1000};
    outcome(name, syscall(SYS_settimeofday, &tv, NULL));
  }
}

static void adjust(const char* name, int use_clock_adjtime, struct timex* tx) {
  long rc = use_clock_adjtime ? syscall(SYS_clock_adjtime, CLOCK_REALTIME, tx) : syscall(SYS_adjtimex, tx);
  outcome(name, rc);
}

static void nested(void) {
  pid_t pid = fork();
  if (pid == 0) {
    if (unshare(CLONE_NEWUSER) != 0 || unshare(CLONE_NEWTIME) != 0) {
      outcome("nested-timens", -1);
      _exit(0);
    }
    int fd = open("/proc/self/timens_offsets", O_WRONLY);
    const char offsets[] = "monotonic 3600 0";
    if (fd < 0 || write(fd, offsets, sizeof(offsets) - 1) < 0) {
      outcome("nested-timens", -1);
      _exit(0);
    }
    close(fd);
    struct timespec before, inside;
    clock_gettime(CLOCK_MONOTONIC, &before);
    int pipefd[2];
    if (pipe(pipefd) != 0) _exit(0);
    pid_t child = fork();  // the first process of the new namespace
    if (child == 0) {
      clock_gettime(CLOCK_MONOTONIC, &inside);
      if (write(pipefd[1], &inside, sizeof(inside)) != sizeof(inside)) _exit(1);
      _exit(0);
    }
    if (read(pipefd[0], &inside, sizeof(inside)) != sizeof(inside)) _exit(0);
    waitpid(child, NULL, 0);
    say("nested-timens ok %ld", (long)(inside.tv_sec - before.tv_sec));
    _exit(0);
  }
  waitpid(pid, NULL, 0);
}

int main(int argc, char** argv) {
  struct timex tx;
  memset(&tx, 0, sizeof(tx));
  long state = syscall(SYS_adjtimex, &tx);
  if (argc > 1 && strcmp(argv[1], "report") == 0) {
    say("state %ld %ld %d", tx.freq, tx.tick, tx.status);
    return 0;
  }
  outcome("adjtimex-read", state);
  if (argc > 1 && strcmp(argv[1], "nested") == 0) {
    nested();
    say("finished ok");
    return 0;
  }
  const long freq = tx.freq, tick = tx.tick;
  const int status = tx.status;

  // The read-only forms Docker allows: modes 0 through clock_adjtime, and the
  // old adjtime(3)'s read (ADJ_OFFSET_SS_READ), alone and with a change of
  // rate beside it, which the kernel ignores in that form (a rate one unit
  // off, 2^-16 ppm: the test sees it in the node's state if it took).
  memset(&tx, 0, sizeof(tx));
  outcome("clock-adjtime-read", syscall(SYS_clock_adjtime, CLOCK_REALTIME, &tx));
  memset(&tx, 0, sizeof(tx));
  tx.modes = ADJ_OFFSET_SS_READ;
  outcome("adjtimex-ss-read", syscall(SYS_adjtimex, &tx));
  memset(&tx, 0, sizeof(tx));
  tx.modes = ADJ_OFFSET_SS_READ | ADJ_FREQUENCY;
  tx.freq = freq + 1;
  outcome("adjtimex-ss-read-frequency", syscall(SYS_adjtimex, &tx));

  step("clock-settime", 0);
  step("settimeofday", 1);
  for (int clock = 0; clock < 2; clock++) {
    const char* prefix = clock ? "clock-adjtime" : "adjtimex";
    char name[64];
    memset(&tx, 0, sizeof(tx));
    tx.modes = ADJ_SETOFFSET | ADJ_NANO;
    tx.time.tv_sec = 0;
    tx.time.tv_usec = kStepNs;  // nanoseconds with ADJ_NANO
    snprintf(name, sizeof(name), "%s-setoffset", prefix);
    adjust(name, clock, &tx);
    memset(&tx, 0, sizeof(tx));
    tx.modes = ADJ_OFFSET_SINGLESHOT;
    tx.offset = 250000;  // microseconds, slewed
    snprintf(name, sizeof(name), "%s-offset", prefix);
    adjust(name, clock, &tx);
    memset(&tx, 0, sizeof(tx));
    tx.modes = ADJ_FREQUENCY;
    tx.freq = freq;
    snprintf(name, sizeof(name), "%s-frequency", prefix);
    adjust(name, clock, &tx);
    memset(&tx, 0, sizeof(tx));
    tx.modes = ADJ_TICK;
    tx.tick = tick;
    snprintf(name, sizeof(name), "%s-tick", prefix);
    adjust(name, clock, &tx);
    memset(&tx, 0, sizeof(tx));
    tx.modes = ADJ_STATUS;
    tx.status = status;
    snprintf(name, sizeof(name), "%s-status", prefix);
    adjust(name, clock, &tx);
  }

  int rtc = open("/dev/rtc0", O_RDONLY);
  outcome("rtc-open", rtc);
  if (rtc >= 0) {
    struct rtc_time tm;
    if (ioctl(rtc, RTC_RD_TIME, &tm) == 0) {
      outcome("rtc-set", ioctl(rtc, RTC_SET_TIME, &tm));
    } else {
      outcome("rtc-set", -1);
    }
    close(rtc);
  }

  int offsets = open("/proc/self/timens_offsets", O_WRONLY);
  if (offsets < 0) {
    outcome("timens-offsets", -1);
  } else {
    const char text[] = "monotonic 1 0";
    outcome("timens-offsets", write(offsets, text, sizeof(text) - 1));
    close(offsets);
  }
  outcome("unshare-timens", unshare(CLONE_NEWTIME));
  say("finished ok");
  return 0;
}
