// Attack class: opens of a FIFO that wait for their other end (issue 14,
// finding 4; attacks/fifo.c; docs/security.md, "Emulated opens"). Where the
// broker emulates them (strict, ci-runner: writes by path), each waits in a
// worker thread of the agent. At most 32 wait per container: the rest are
// refused at once (EAGAIN, counted as deny); a wait whose opener is killed is
// cancelled and its thread joined, so after rounds of killed openers the
// agent has the threads it had before. The test counts the agent's broker
// threads itself (standalone: the zviz process's), from outside.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

import { waitFor } from '@zviz/test-support/ports';
import { attackSuite, byProfile, matrix, outcomeOf } from './harness';

const OPENERS = 48;
const ROUNDS = 5;
const LIMIT = 32;

/**
 * The broker's threads of a process: its supervisors and their FIFO workers,
 * which take the supervisor's name (zviz-broker) from the thread that
 * creates them, as every Linux thread does. Node's own threads come and go
 * on their own (the libuv pool starts on first use): counting all of them
 * once saw 10 where 8 were before, in a run whose broker started no worker.
 */
function threadsOf(pid: number): number {
  return readdirSync(`/proc/${pid}/task`).filter((tid) => {
    try {
      return readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim() === 'zviz-broker';
    } catch {
      return false; // the thread ended while we listed
    }
  }).length;
}

interface Counts {
  before: number;
  waiting: number;
  after: number;
}

attackSuite('attack: FIFO opens that wait for their other end', (suite) => {
  it.each(matrix())('%s (%s): bounded, cancelled with their opener, no thread left behind', async (profile, mode) => {
    const counts: Counts = { before: 0, waiting: 0, after: 0 };
    const run = await suite.run({
      profile,
      mode,
      program: 'fifo',
      args: [String(OPENERS), String(ROUNDS)],
      pids: 512,
      timeoutMs: 90_000,
      whileRunning: async ({ zviz, scratch }) => {
        const pid = mode === 'agent' ? suite.agent().pid : zviz.pid!;
        const at = (name: string) => join(scratch.workspace, name);
        const step = async (phase: string, measure: () => Promise<void> | void) => {
          await waitFor(phase, async () => existsSync(at(`phase-${phase}`)), { timeoutMs: 60_000 });
          await measure();
          writeFileSync(at(`go-${phase}`), '');
        };
        await step('started', async () => {
          // The workload is spawned before its supervisor thread starts (and
          // names itself), so the workload can get here first: under load a
          // run counted 0 before and 1 while waiting, with no worker at all.
          await waitFor("the run's supervisor thread", async () => threadsOf(pid) >= 1, { timeoutMs: 10_000 });
          counts.before = threadsOf(pid);
        });
        await step('waiting', () => {
          counts.waiting = threadsOf(pid);
        });
        await step('killed', async () => {
          // Cancelled within a sweep (100 ms) of the opener's death, then joined.
          await waitFor('the FIFO workers to be gone', async () => threadsOf(pid) <= counts.before, {
            timeoutMs: 5_000,
          }).catch(() => undefined);
          counts.after = threadsOf(pid);
        });
      },
    });
    const detail = `${run.stdout}\n${run.stderr}\nthreads: ${JSON.stringify(counts)}`;
    expect(outcomeOf(run, 'finished'), detail).toBe('ok');
    const emulated = byProfile(profile, { strict: true, 'ci-runner': true, default: false, observe: false });
    const waiting = emulated ? LIMIT : OPENERS;
    expect(outcomeOf(run, 'bound-opened'), detail).toBe(String(waiting));
    expect(outcomeOf(run, 'bound-refused'), detail).toBe(String(OPENERS - waiting));
    expect(outcomeOf(run, 'bound-other'), detail).toBe('0');
    expect(outcomeOf(run, 'killed'), detail).toBe(String(OPENERS * ROUNDS));
    // One worker per waiting open while they waited, and the limit held...
    if (emulated) {
      expect(counts.waiting - counts.before, detail).toBe(LIMIT);
    } else {
      expect(counts.waiting, detail).toBe(counts.before);
    }
    // ...and none left behind by the openers killed while waiting.
    expect(counts.after, detail).toBeLessThanOrEqual(counts.before);
    // Every refusal counted, exactly: the first round's and the killed rounds' (at least the
    // openers beyond the limit each round; more when a killed round's waits were not yet swept).
    const roundsRefused = Number(outcomeOf(run, 'rounds-refused'));
    expect(roundsRefused, detail).toBeGreaterThanOrEqual((OPENERS - waiting) * ROUNDS);
    const refusals = OPENERS - waiting + roundsRefused;
    expect(/refused: (.*)$/m.exec(run.stderr)?.[1], detail).toBe(emulated ? `openat ${refusals}` : undefined);
    await suite.expectContained(run, { outsideUnchanged: true });
  });
});
