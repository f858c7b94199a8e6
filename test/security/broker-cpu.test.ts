// Attack class: making the broker work for free (attacks/broker-cpu.c). The
// broker answers a container's notifications on a thread of the agent (or of
// `zviz run --standalone`), whose CPU time the container's cgroup does not
// see: a workload held to a tenth of a CPU kept the broker's thread busy
// several times longer than its own limit allowed, on the agent's CPU, which
// every other container's broker shares. The broker paces each container's
// thread to the container's CPU limit (docs/security.md, "Attack classes and
// their tests").
//
// Judged on the host, by CPU time, never by wall-clock speed: the kernel's
// count of the broker threads' run time (schedstat, in nanoseconds) over a
// stretch of the attack, against the limit times the wall time that passed.
// A loaded machine only makes the broker use less.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

import { waitFor } from '@zviz/test-support/ports';
import { attackSuite, matrix, outcomeOf } from './harness';

const CPUS = 0.1;
const STRETCH_MS = 3_000;
/** One scheduler period's worth of the limit, which the broker may spend at once, and the pacing's own steps. */
const SLACK_NS = 60_000_000;

/** Run time (ns) of the threads named zviz-broker of `pid`, and how many there are. */
function brokerThreads(pid: number): { ns: number; threads: number } {
  let ns = 0;
  let threads = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      if (readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim() !== 'zviz-broker') {
        continue;
      }
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      threads++;
    } catch {
      // ended meanwhile
    }
  }
  return { ns, threads };
}

/** The agent's zviz_broker_paced_seconds_total. */
async function pacedSeconds(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('zviz_broker_paced_seconds_total '));
  if (line === undefined) {
    throw new Error('the agent exports no zviz_broker_paced_seconds_total');
  }
  return Number(line.split(' ')[1]);
}

attackSuite('attack: the broker made to work beyond the container’s CPU limit', (suite) => {
  it.each(matrix())(`%s (%s): the broker spends at most the container's limit (${CPUS} CPU)`, async (profile, mode) => {
    let used = 0;
    let allowed = 0;
    let threads = 0;
    const pacedBefore = mode === 'agent' ? await pacedSeconds(suite.agent().url) : 0;
    const run = await suite.run({
      profile,
      mode,
      program: 'broker-cpu',
      zvizArgs: ['--cpus', String(CPUS)],
      timeoutMs: 90_000,
      whileRunning: async ({ zviz, scratch }) => {
        await waitFor('the attack to spin', async () => existsSync(join(scratch.workspace, 'spinning')), {
          timeoutMs: 30_000,
        });
        const host = mode === 'agent' ? suite.agent().pid : (zviz.pid ?? 0);
        const before = brokerThreads(host);
        const start = process.hrtime.bigint();
        await new Promise((resolve) => setTimeout(resolve, STRETCH_MS));
        const after = brokerThreads(host);
        const wallNs = Number(process.hrtime.bigint() - start);
        writeFileSync(join(scratch.workspace, 'done'), '');
        threads = after.threads;
        used = after.ns - before.ns;
        allowed = CPUS * wallNs + SLACK_NS;
      },
    });
    const detail = `${run.stdout}\n${run.stderr}`;
    expect(outcomeOf(run, 'finished'), detail).toBe('ok');
    expect(Number(outcomeOf(run, 'loops').split(' ')[0]), detail).toBeGreaterThan(0);
    expect(threads, `broker threads found\n${detail}`).toBeGreaterThan(0);
    expect(
      used,
      `the broker's thread ran ${(used / 1e6).toFixed(0)} ms, the limit allows ${(allowed / 1e6).toFixed(0)} ms\n${detail}`
    ).toBeLessThanOrEqual(allowed);
    if (mode === 'agent' && (profile === 'strict' || profile === 'ci-runner')) {
      // Where the broker's work outgrew the limit (it did without pacing), the pacing is counted.
      expect(await pacedSeconds(suite.agent().url), detail).toBeGreaterThan(pacedBefore);
    }
    await suite.expectContained(run, { outsideUnchanged: true });
  });
});
