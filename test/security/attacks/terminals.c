// Terminals: the node's own (another session's pseudo-terminal on the host's
// devpts) and the one `zviz run` hands the workload as its stdio when it is
// started from a terminal.
//   terminals   (ZVIZ_ATTACK_HOST_TTY: a pseudo-terminal of a session on the
//                node, by its host path; ZVIZ_ATTACK_TAG)
// On the node's terminal it tries to write into the session's screen, to push
// input into it (TIOCSTI) and to read what its user types. On its own stdio,
// when that is a terminal: TIOCSTI (keystrokes the caller's shell would read
// once the workload is gone), making it its controlling terminal (TIOCSCTTY,
// plain and stealing), taking its foreground (tcsetpgrp), redirecting the
// console to it (TIOCCONS), its line discipline (TIOCSETD), and vhangup. The
// test judges on the host: what the session's terminal showed and what the
// caller's shell read.
#include "attack.h"

#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>

static void push_input(const char* name, int fd, const char* text) {
  long rc = 0;
  for (const char* c = text; *c != '\0' && rc == 0; c++) {
    rc = ioctl(fd, TIOCSTI, c);
  }
  outcome(name, rc);
}

int main(void) {
  const char* host_tty = need_env("ZVIZ_ATTACK_HOST_TTY");
  const char* tag = need_env("ZVIZ_ATTACK_TAG");
  char text[256];

  struct stat st;
  outcome("host-tty-exists", stat(host_tty, &st));
  int fd = open(host_tty, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  outcome("host-tty-open", fd);
  if (fd >= 0) {
    snprintf(text, sizeof(text), "ZVIZ-SHOWN-%s\n", tag);
    outcome("host-tty-write", write(fd, text, strlen(text)));
    snprintf(text, sizeof(text), "ZVIZ-PUSHED-%s\n", tag);
    push_input("host-tty-sti", fd, text);
    char buf[64];
    outcome("host-tty-read", read(fd, buf, sizeof(buf)));  // nothing typed: EAGAIN when it could read
    close(fd);
  }
  // A pseudo-terminal of its own works, and lives in its own instance.
  int ptmx = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  outcome("own-ptmx", ptmx);

  if (!isatty(0)) {
    say("stdin-tty no");
    return 0;
  }
  say("stdin-tty yes");
  snprintf(text, sizeof(text), "echo ZVIZ-STI-%s\n", tag);
  push_input("stdin-sti", 0, text);
  outcome("stdin-sctty", ioctl(0, TIOCSCTTY, 0));
  outcome("stdin-sctty-steal", ioctl(0, TIOCSCTTY, 1));
  outcome("stdin-tcsetpgrp", tcsetpgrp(0, getpgrp()));
  outcome("stdin-tioccons", ioctl(0, TIOCCONS));
  int disc = 0;  // N_TTY, what it already is: harmless if allowed
  outcome("stdin-tiocsetd", ioctl(0, TIOCSETD, &disc));
  outcome("vhangup", syscall(SYS_vhangup));
  // Its name, as `tty` finds it: a path in the container's /dev/pts that is this terminal.
  char path[64];
  int err = ttyname_r(0, path, sizeof(path));
  errno = err;
  outcome("stdin-ttyname", err == 0 ? 0 : -1);
  return 0;
}
