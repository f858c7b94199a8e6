// Not an attack: the host side of attacks/shared.c, run by the test outside
// the sandbox. `host-ipc create KEY QUEUE SECRET` makes a System V shared
// memory segment and a POSIX message queue holding SECRET; `host-ipc exists
// KEY` says whether a segment of that key exists; `host-ipc remove KEY [QUEUE]`
// removes them.
#include "attack.h"

#include <mqueue.h>
#include <sys/ipc.h>
#include <sys/shm.h>

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  key_t key = (key_t)strtol(argv[2], NULL, 0);
  if (strcmp(argv[1], "create") == 0 && argc == 5) {
    int id = shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600);
    char* at = id < 0 ? (void*)-1 : shmat(id, NULL, 0);
    if (at == (void*)-1) return 3;
    snprintf(at, 4096, "%s", argv[4]);
    shmdt(at);
    struct mq_attr attr = {.mq_maxmsg = 1, .mq_msgsize = 128};
    mqd_t mq = mq_open(argv[3], O_WRONLY | O_CREAT | O_EXCL, 0600, &attr);
    if (mq == (mqd_t)-1 || mq_send(mq, argv[4], strlen(argv[4]), 0) != 0) return 4;
    mq_close(mq);
    return 0;
  }
  if (strcmp(argv[1], "exists") == 0) {
    return shmget(key, 0, 0) >= 0 ? 0 : 1;
  }
  if (strcmp(argv[1], "remove") == 0) {
    int id = shmget(key, 0, 0);
    if (id >= 0) shmctl(id, IPC_RMID, NULL);
    if (argc > 3) mq_unlink(argv[3]);
    return 0;
  }
  return 2;
}
