// For the attacks on the agent's own /proc entries (attacks/agent-tasks.h):
// the pid and thread ids of the process that supervises the workload, as the
// host numbers them, listed from outside at the moment the workload runs (so
// the supervisor thread of its own container is among them) and handed over
// through the workspace. A workload that cannot find the agent's threads
// itself would otherwise make those attacks pass for nothing.
import { existsSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { spawn } from 'node:child_process';

import type { Mode } from './harness';

/** Answers "attack-ready" in `workspace` with `pid` and its threads in "agent-tids"; gives up when `zviz` ends. */
export async function handOverThreads(zviz: ReturnType<typeof spawn>, workspace: string, pid: number): Promise<void> {
  let ended = zviz.exitCode !== null || zviz.signalCode !== null;
  zviz.once('close', () => (ended = true));
  const ready = join(workspace, 'attack-ready');
  while (!ended) {
    if (existsSync(ready)) {
      let tids: string[] = [];
      try {
        tids = readdirSync(`/proc/${pid}/task`).filter((tid) => tid !== String(pid));
      } catch {
        // the process is gone: the attack says so, and the test sees it
      }
      writeFileSync(join(workspace, 'agent-tids.tmp'), `${[pid, ...tids].join(' ')}\n`);
      renameSync(join(workspace, 'agent-tids.tmp'), join(workspace, 'agent-tids'));
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Every built-in profile, both ways of running, and both PID namespace
 * settings: the container's own (where no agent process can even be named)
 * and `--pid host` (the host's /proc: only the broker's own defence holds).
 */
export function pidMatrix(rows: Array<[string, Mode]>): Array<[string, Mode, PidMode]> {
  return rows.flatMap(([profile, mode]) => PID_MODES.map((pid): [string, Mode, PidMode] => [profile, mode, pid]));
}

export type PidMode = 'own' | 'host';
export const PID_MODES: PidMode[] = ['own', 'host'];

/** `zviz run` options for a PID namespace setting. */
export function pidArgs(pid: PidMode): string[] {
  return pid === 'host' ? ['--pid', 'host'] : [];
}
