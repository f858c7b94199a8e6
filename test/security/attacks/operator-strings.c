// Strings a workload chooses, made to act on the operator who reads them:
// its thread names (prctl(PR_SET_NAME): the tracer's process_name label),
// the paths it opens and the name of a program it runs (decision events, the
// audit log, the agent's log). Each carries what a terminal acts on (OSC 52,
// which writes the operator's clipboard; OSC 0, the window title; CSI 2J,
// which clears the screen; a carriage return that overwrites a line; a C1
// CSI; a right-to-left override) or what forges a record (a newline followed
// by a JSON object, quotes, backslashes, a byte that is not UTF-8).
//
//   once   renames its thread to each name with a few syscalls under each,
//          opens each path in the workspace (created) and outside it, and
//          runs itself under a hostile name.
//   hold   the same, then writes ./ready and stays until ./stop appears (at
//          most two minutes), so the test can read what the operator's tools
//          show meanwhile.
//   noop   exits at once (the program run under the hostile name).
//
// Lines: "name-N ok|errno E" for each rename, "open-in-N", "open-out-N",
// "exec ok|errno E" and "exec-exit N".
#include "attack.h"

#include <sys/prctl.h>
#include <sys/stat.h>

// Thread names: at most 15 bytes each (the kernel keeps 16 with the NUL).
static const char* const NAMES[] = {
    "\x1b]52;c;aGk=\x07",   // OSC 52: sets the clipboard to "hi"
    "\x1b]0;PWNED\x07",     // OSC 0: the window title
    "\x1b[2J\x1b[H",        // clears the screen
    "ok\rFAKE",             // a carriage return over the line
    "\xc2\x9b" "2Jc1",      // C1 CSI (U+009B), then 2J
    "\xe2\x80\xae" "live",  // U+202E: what follows reads backwards
    "q\"b\\s\nl",           // quote, backslash, newline
    "bad\xff\xfe",          // not UTF-8
};

// Paths: the same, with a forged JSON record after a newline.
#define HOSTILE "zviz-op-\x1b]52;c;aGk=\x07\x1b]0;PWNED\x07\x1b[2J\rX\n{\"forged\":true}\xe2\x80\xae\xc2\x9b\\\"\xff"

static void mark(const char* name) {
  int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd >= 0) close(fd);
}

static void attack(const char* self) {
  char label[32];
  for (size_t i = 0; i < sizeof(NAMES) / sizeof(NAMES[0]); i++) {
    snprintf(label, sizeof(label), "name-%zu", i);
    outcome(label, prctl(PR_SET_NAME, NAMES[i]));
    for (int k = 0; k < 5; k++) syscall(SYS_getppid);
    // An open under the name too: the opens the tracer times carry it.
    int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) close(fd);
  }
  prctl(PR_SET_NAME, "operator-string");

  int fd = open("./" HOSTILE, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  outcome("open-in", fd);
  if (fd >= 0) close(fd);
  fd = open("/etc/" HOSTILE, O_RDONLY | O_CLOEXEC);
  outcome("open-out", fd);
  if (fd >= 0) close(fd);

  // The program again under a hostile name (a hard link in the workspace): an
  // execve decision naming it.
  unlink("./" HOSTILE "-run");
  if (link(self, "./" HOSTILE "-run") != 0) {
    outcome("exec", -1);
  } else {
    pid_t child = fork();
    if (child == 0) {
      char* argv[] = {"./" HOSTILE "-run", "noop", NULL};
      execv(argv[0], argv);
      _exit(126);
    }
    int status = 0;
    waitpid(child, &status, 0);
    say("exec-exit %d", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
  }
}

static void hold(void) {
  mark("ready");
  struct stat st;
  for (int i = 0; i < 1200 && stat("stop", &st) != 0; i++) usleep(100 * 1000);
}

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "";
  if (strcmp(mode, "noop") == 0) return 0;
  if (strcmp(mode, "once") == 0 || strcmp(mode, "hold") == 0) {
    attack(argv[0]);
    if (strcmp(mode, "hold") == 0) hold();
    say("done ok");
    return 0;
  }
  say("usage: operator-strings once|hold|noop");
  return 2;
}
