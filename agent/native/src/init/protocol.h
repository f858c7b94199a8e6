// What zviz-init (PID 1 of a container's PID namespace) tells the agent when
// the workload ends: the workload's own status, so the container reports the
// workload's exit code or signal, never the init's. One message on a
// SOCK_SEQPACKET socket, sent just before the init exits. Shared by init.c
// and the broker addon, so it stays plain C.
#ifndef ZVIZ_INIT_PROTOCOL_H
#define ZVIZ_INIT_PROTOCOL_H

#include <stdint.h>

#define ZVIZ_INIT_REPORT_MAGIC 0x7a696e31u /* "zin1" */

/**
 * The descriptors zviz-init starts with: the report socket, a pidfd of the
 * agent, and the write end of the pipe the workload waits on before it runs
 * (closed once the init has named itself and armed its death signal).
 */
#define ZVIZ_INIT_REPORT_FD 3
#define ZVIZ_INIT_AGENT_FD 4
#define ZVIZ_INIT_READY_FD 5

struct zviz_init_report {
  uint32_t magic;
  int32_t code;   /* exit code, or -1 when the workload was killed */
  int32_t signal; /* terminating signal, or 0 */
};

#endif
