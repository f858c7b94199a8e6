// Attack: a configured container's output files, which the agent opens as
// root on the node at its next start (agent/src/broker/component.ts). The
// files lie in the workload's own workspace, which it may write: it puts
// there what the next agent start would follow or wait on.
//
//   outputs plant   out.log -> the victim file outside (a link the agent
//                   would append to), logs/ -> the victim directory (a new
//                   err.log would be made there), fifo.log a FIFO (an open
//                   that waits, and a config check that refused the whole
//                   configuration)
//   outputs write   prints a marker on stdout and stderr: where it lands is
//                   what the test reads on the host
#include "attack.h"

#include <sys/stat.h>

static void plant(void) {
  const char* victim = getenv("ZVIZ_ATTACK_VICTIM");
  const char* victim_dir = getenv("ZVIZ_ATTACK_VICTIM_DIR");
  if (!victim || !victim_dir) {
    say("env missing");
    exit(2);
  }
  unlink("out.log");
  outcome("link-file", symlink(victim, "out.log"));
  unlink("logs/err.log");
  rmdir("logs");
  outcome("link-dir", symlink(victim_dir, "logs"));
  unlink("fifo.log");
  outcome("fifo", mkfifo("fifo.log", 0644));
}

int main(int argc, char** argv) {
  if (argc < 2) {
    say("usage: outputs plant|write MARKER");
    return 2;
  }
  if (strcmp(argv[1], "plant") == 0) {
    plant();
    return 0;
  }
  if (strcmp(argv[1], "write") == 0 && argc > 2) {
    dprintf(1, "%s stdout\n", argv[2]);
    dprintf(2, "%s stderr\n", argv[2]);
    return 0;
  }
  say("usage: outputs plant|write MARKER");
  return 2;
}
