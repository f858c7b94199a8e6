// Not an attack: a host-side helper of keyrings.test.ts. It joins a new
// session keyring, puts a "user" key in it (description and payload from its
// first two arguments) and runs the rest of its arguments, so that the agent
// or zviz run starts with a session keyring that holds a node secret, as a
// systemd service or a login session does.
//   host-keyring DESCRIPTION PAYLOAD COMMAND ARGS...
#include "attack.h"

#include <linux/keyctl.h>

int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: host-keyring DESCRIPTION PAYLOAD COMMAND ARGS...\n");
    return 2;
  }
  if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, "zviz-attack-node-session", 0, 0, 0) < 0 ||
      syscall(SYS_add_key, "user", argv[1], argv[2], strlen(argv[2]), KEY_SPEC_SESSION_KEYRING) < 0) {
    perror("host-keyring");
    return 2;
  }
  execvp(argv[3], argv + 3);
  perror("host-keyring: exec");
  return 2;
}
