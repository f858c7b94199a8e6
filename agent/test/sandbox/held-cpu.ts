// Keeping a pinned workload from running for a while, so that an answer of
// the broker waits in the kernel for its task to take it: a real-time busy
// loop on the workload's CPU (agent/test/workloads/cpu-hold.c) while the
// broker, on another CPU, goes on.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { Requirement } from '@zviz/test-support/requirements';

import { BIN } from './harness';

/** The CPUs this process may run on (/proc/self/status, Cpus_allowed_list: "0-1,4"). */
export function allowedCpus(): number[] {
  const list = /^Cpus_allowed_list:\s*(.*)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '';
  return list.split(',').flatMap((range) => {
    const [first, last = first] = range.split('-').map(Number);
    return Array.from({ length: last - first + 1 }, (_, i) => first + i);
  });
}

/** One CPU can be held from the workload while the broker runs on another. */
export const twoCpus: Requirement = () =>
  allowedCpus().length >= 2 ? undefined : 'needs two CPUs (one is held from the workload, the broker runs on another)';

/** Holds `cpu` with a real-time busy loop for `ms`; resolves once it holds it, with the hold's end. */
export async function holdCpu(cpu: number, ms: number): Promise<{ done: Promise<void> }> {
  const hold = spawn(join(BIN, 'cpu-hold'), [String(cpu), String(ms)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  hold.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = (once(hold, 'exit') as Promise<[number | null, NodeJS.Signals | null]>).then(([code, signal]) => {
    if (code !== 0) {
      throw new Error(`cpu-hold ended with ${code ?? signal}: ${stderr}`);
    }
  });
  await Promise.race([
    once(hold.stdout, 'data'),
    done.then(() => Promise.reject(new Error(`cpu-hold ended before holding: ${stderr}`))),
  ]);
  return { done };
}
