// Attack class: fork bombs, thread bombs and memory hogs (attacks/hog.c) under
// `--pids 64 --memory 64M`. The container's cgroup stops each (EAGAIN at the
// pids limit, the OOM killer at the memory limit), whatever the profile; the
// agent keeps answering; when the first process ends, every process it left
// is ended too; and through an agent the cgroup's refusals are counted.
import { expect, it } from 'vitest';

import { waitFor } from '@zviz/test-support/ports';
import { attackSuite, matrix, outcomeOf, type AttackSuite } from './harness';

const PIDS = 64;

/** The agent's count of refusals by the cgroup layer (kept after a container is removed). */
async function cgroupDenials(suite: AttackSuite): Promise<number> {
  const text = await (await fetch(`${suite.agent().url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('zviz_security_denials_total{layer="cgroup"} '));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

attackSuite('attack: fork bombs and memory hogs', (suite) => {
  it.each(matrix())('%s (%s): a fork bomb stops at the pids limit and leaves nothing behind', async (profile, mode) => {
    const before = await cgroupDenials(suite);
    const run = await suite.run({ profile, mode, program: 'hog', args: ['fork'], pids: PIDS, memory: '64M' });
    const match = /^forked=(\d+) errno (\w+)$/.exec(outcomeOf(run, 'fork-bomb'));
    expect(match, run.stdout).not.toBeNull();
    expect(match![2]).toBe('EAGAIN');
    expect(Number(match![1])).toBeLessThan(PIDS);
    expect(run.code).toBe(0);
    // Every child of the bomb was still there when the first process ended: the run ended them.
    await suite.expectContained(run, { outsideUnchanged: true });
    if (mode === 'agent') {
      await waitFor('the pids-limit hit in /metrics', async () => (await cgroupDenials(suite)) > before);
    }
  });

  it.each(matrix())('%s (%s): a thread bomb stops at the pids limit', async (profile, mode) => {
    const run = await suite.run({ profile, mode, program: 'hog', args: ['threads'], pids: PIDS, memory: '64M' });
    // The container's init (zviz-init, in its cgroup) and the first thread count too: PIDS - 2 more at most.
    expect(outcomeOf(run, 'thread-bomb')).toBe(`threads=${PIDS - 2} errno EAGAIN`);
    await suite.expectContained(run, { outsideUnchanged: true });
  });

  it.each(matrix())('%s (%s): a memory hog is killed at the memory limit', async (profile, mode) => {
    const before = await cgroupDenials(suite);
    const run = await suite.run({ profile, mode, program: 'hog', args: ['memory'], pids: PIDS, memory: '64M' });
    const touched = [...run.stdout.matchAll(/^memory-hog-touched (\d+)$/gm)].map((m) => Number(m[1]));
    expect(touched.length).toBeGreaterThan(0);
    expect(Math.max(...touched)).toBeLessThanOrEqual(64);
    expect(run.results.has('memory-hog')).toBe(false); // it never got to the end
    expect(run.code).toBe(137); // SIGKILL, from the OOM killer
    await suite.expectContained(run, { outsideUnchanged: true });
    if (mode === 'agent') {
      await waitFor('the OOM kill in /metrics', async () => (await cgroupDenials(suite)) > before);
    }
  });
});
