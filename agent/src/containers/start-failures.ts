// Why a container's start failed, in a few words a counter can carry
// (zviz_container_start_failures_total{reason}); the error's message names
// the step. A closed list: a label whose values come from error messages
// would grow without bound.
//   timeout  the start did not finish within broker.start_timeout_seconds
//            (its processes were killed);
//   setup    one of the container's processes reported a step that failed
//            (zviz-spawn, the workload before its execve, zviz-init), or they
//            ended without a word;
//   exec     the workload's own execve failed: its program never ran;
//   agent    the agent could not prepare or finish it (its cgroup, the
//            options, a thread, a descriptor, a configured container's
//            profile);
//   output   a configured container's stdout or stderr file was refused (a
//            link on its path, a FIFO, a device: files/no-link-open.ts), so
//            its workload never ran; /health names the container and the path.

export const START_FAILURE_REASONS = ['timeout', 'setup', 'exec', 'agent', 'output'] as const;
export type StartFailureReason = (typeof START_FAILURE_REASONS)[number];

/** The reason the broker addon gave its error (`error.reason`), or `agent` for any other error. */
export function startFailureReason(error: unknown): StartFailureReason {
  const reason = (error as { reason?: unknown } | undefined)?.reason;
  return (START_FAILURE_REASONS as readonly unknown[]).includes(reason) ? (reason as StartFailureReason) : 'agent';
}

/** Failed starts since the agent started, by reason. */
export class StartFailures {
  private readonly counts = new Map<StartFailureReason, number>(START_FAILURE_REASONS.map((r) => [r, 0]));

  add(reason: StartFailureReason): void {
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + 1);
  }

  /** Every reason, 0 where none failed so. */
  entries(): Array<[StartFailureReason, number]> {
    return START_FAILURE_REASONS.map((r) => [r, this.counts.get(r) ?? 0]);
  }
}
