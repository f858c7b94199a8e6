// What a container shares with the host without any namespace of its own:
// the host's /tmp (a file another tenant left there: ZVIZ_ATTACK_HOST_TMP_SECRET),
// the host's System V IPC objects (a shared memory segment with a secret, key
// ZVIZ_ATTACK_SHM_KEY), POSIX message queues (ZVIZ_ATTACK_MQ) and POSIX
// shared memory (/dev/shm/ZVIZ_ATTACK_POSIX_SHM), and IPC objects the
// workload leaves behind when it ends.
#include "attack.h"

#include <mqueue.h>
#include <sys/ipc.h>
#include <sys/shm.h>

int main(void) {
  open_outcome("host-tmp-read", open(need_env("ZVIZ_ATTACK_HOST_TMP_SECRET"), O_RDONLY | O_CLOEXEC));
  const char* planted = need_env("ZVIZ_ATTACK_HOST_TMP_PLANT");
  outcome("host-tmp-plant", symlink("/etc/shadow", planted));

  key_t key = (key_t)strtol(need_env("ZVIZ_ATTACK_SHM_KEY"), NULL, 0);
  int id = shmget(key, 0, 0);
  if (id < 0) {
    outcome("host-shm-read", -1);
  } else {
    unsigned char* at = shmat(id, NULL, SHM_RDONLY);
    if (at == (void*)-1) {
      outcome("host-shm-read", -1);
    } else {
      char text[129];
      hex(text, at, 64);
      say("host-shm-read read %s", text);
      shmdt(at);
    }
  }
  mqd_t mq = mq_open(need_env("ZVIZ_ATTACK_MQ"), O_RDONLY | O_NONBLOCK);
  if (mq == (mqd_t)-1) {
    outcome("host-mq-read", -1);
  } else {
    char buf[8192];
    ssize_t n = mq_receive(mq, buf, sizeof(buf), NULL);
    if (n > 0) {
      char text[129];
      hex(text, (unsigned char*)buf, n > 64 ? 64 : (size_t)n);
      say("host-mq-read read %s", text);
    } else {
      outcome("host-mq-read", n);
    }
    mq_close(mq);
  }
  char shm_path[300];
  snprintf(shm_path, sizeof(shm_path), "/dev/shm/%s", need_env("ZVIZ_ATTACK_POSIX_SHM"));
  open_outcome("host-posix-shm-read", open(shm_path, O_RDONLY | O_CLOEXEC));
  // Left behind: a segment with no process attached outlives the container (until IPC_RMID).
  key_t left = (key_t)strtol(need_env("ZVIZ_ATTACK_SHM_LEFT_KEY"), NULL, 0);
  outcome("shm-left-behind", shmget(left, 1 << 20, IPC_CREAT | 0600));
  return 0;
}
