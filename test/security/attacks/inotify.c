// inotify instances are counted per user namespace and uid, like pending
// signals (fs.inotify.max_user_instances, 128 by default): a workload whose
// root was the node's root could take every instance of uid 0, and the
// node's root services (systemd, journald, the agent's file watches) then
// failed inotify_init1 with EMFILE. Modes:
//   fill    (in the sandbox) opens instances until refused: "fill ok N ERRNO";
//           creates ./ready and waits until ./stop exists (at most 60 s)
//   probe   (on the host, by the test) one instance: "probe ok" or "probe errno EMFILE"
#include "attack.h"

#include <sys/inotify.h>

static void fill(void) {
  long opened = 0;
  while (opened < 100000 && inotify_init1(IN_CLOEXEC) >= 0) opened++;
  say("fill ok %ld %s", opened, strerrorname_np(errno));
  close(open("ready", O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
  for (int i = 0; i < 600 && access("stop", F_OK) != 0; i++) usleep(100 * 1000);
}

int main(int argc, char** argv) {
  if (argc >= 2 && strcmp(argv[1], "fill") == 0) fill();
  if (argc >= 2 && strcmp(argv[1], "probe") == 0) outcome("probe", inotify_init1(IN_CLOEXEC));
  return 0;
}
