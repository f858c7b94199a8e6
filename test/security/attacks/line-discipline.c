// Line disciplines: a pseudo-terminal of the container's own devpts, whose
// line discipline it asks to change (TIOCSETD). A discipline the kernel has
// not loaded is loaded for the asking (tty_ldisc_autoload) by the node's root:
// n_hdlc, n_gsm, slcan and the like, rarely used kernel code with a history
// of exploited bugs. N_NULL, built into this kernel, shows the change itself
// (the bare run makes it); N_HDLC (13) is the one an exploit asks for. After
// each attempt it reads the discipline back (TIOCGETD): "now N" is what the
// kernel really holds.
#include "attack.h"

#include <sys/ioctl.h>
#include <termios.h>

#ifndef N_NULL
#define N_NULL 27
#endif
#ifndef N_HDLC
#define N_HDLC 13
#endif

static void set_discipline(const char* name, int fd, int disc) {
  outcome(name, ioctl(fd, TIOCSETD, &disc));
  int now = -1;
  if (ioctl(fd, TIOCGETD, &now) == 0) {
    say("%s-now %d", name, now);
  } else {
    outcome(name, -1);
  }
}

int main(void) {
  int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  outcome("ptmx", master);
  if (master < 0) return 0;
  if (grantpt(master) != 0 || unlockpt(master) != 0) {
    outcome("unlockpt", -1);
    return 0;
  }
  char name[64];
  if (ptsname_r(master, name, sizeof(name)) != 0) {
    outcome("ptsname", -1);
    return 0;
  }
  int slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  outcome("pts", slave);
  if (slave < 0) return 0;
  set_discipline("slave-null", slave, N_NULL);
  set_discipline("master-null", master, N_NULL);
  if (getenv("ZVIZ_ATTACK_SKIP_HDLC") == NULL) {
    set_discipline("slave-hdlc", slave, N_HDLC);
  }
  return 0;
}
