// Restart policies, as Docker has them: no, on-failure[:max], always, with an
// exponential backoff (100 ms doubling, at most 10 s) that starts over once a
// run has lasted 10 s.
export type RestartMode = 'no' | 'on-failure' | 'always';

export interface RestartPolicy {
  mode: RestartMode;
  /** 0: no limit. */
  maxRestarts: number;
}

export function parseRestart(text: string): RestartPolicy {
  const match = /^(no|always|on-failure)(?::(\d+))?$/.exec(text);
  if (!match || (match[2] !== undefined && match[1] !== 'on-failure')) {
    throw new Error(`invalid restart policy "${text}": no, on-failure, on-failure:N or always`);
  }
  return { mode: match[1] as RestartMode, maxRestarts: match[2] === undefined ? 0 : Number(match[2]) };
}

export const BACKOFF_FIRST_MS = 100;
export const BACKOFF_MAX_MS = 10_000;
export const STABLE_RUN_MS = 10_000;

export function shouldRestart(policy: RestartPolicy, failed: boolean, restarts: number): boolean {
  if (policy.mode === 'no' || (policy.mode === 'on-failure' && !failed)) {
    return false;
  }
  return policy.maxRestarts === 0 || restarts < policy.maxRestarts;
}

/** Delay before restart number `attempt` (0-based since the last stable run). */
export function backoffMs(attempt: number): number {
  return Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** Math.min(attempt, 20));
}
