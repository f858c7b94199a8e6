// Attack class: an emulated open the kernel keeps waiting (attacks/
// slow-open.c; docs/security.md, "Inside the broker: threads and shared
// data"). The broker makes such an open on the container's supervisor
// thread, which waits as long as the kernel does: a truncation behind a busy
// disk's journal, a hung network mount, or, here, a file lease a process of
// the node (a file server) holds on a file of the workspace, which keeps an
// open for writing waiting up to /proc/sys/fs/lease-break-time (45 s).
//
// - Each container has a supervisor thread of its own, so no other container
//   waits behind it: while container A's supervisor waits in the lease break
//   (seen from outside: the thread's wchan), container B, through the same
//   agent, makes all its emulated opens and ends; only then is the lease let
//   go, and A's open completes. Were the containers' notifications answered
//   by one thread, B could not end before that.
// - Stopping a container joins its supervisor thread from the agent's main
//   thread, so the wait must end with the stop (the wake signal interrupts
//   it, and an interrupted open is given up once the supervisor stops), not
//   when the node's process lets go or the kernel breaks the lease: the run
//   ends while the lease is still on.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

import { waitFor } from '@zviz/test-support/ports';
import { ATTACK_BIN, attackSuite, matrix, outcomeOf, Scratch, type AttackRun } from './harness';

const OPENS = 200;

/** Whether a supervisor thread of process `pid` waits for a file lease to be broken. */
function supervisorInLeaseBreak(pid: number): boolean {
  return readdirSync(`/proc/${pid}/task`).some((tid) => {
    try {
      const task = `/proc/${pid}/task/${tid}`;
      return (
        readFileSync(`${task}/comm`, 'utf8').trim() === 'zviz-broker' &&
        readFileSync(`${task}/wchan`, 'utf8').includes('break_lease')
      );
    } catch {
      return false; // the thread ended while we listed
    }
  });
}

/**
 * Whether a lease is still on `path` (/proc/locks; being broken counts). The
 * kernel ends a lease its holder keeps past /proc/sys/fs/lease-break-time
 * itself, so the holder's word is not enough.
 */
function leaseOn(path: string): boolean {
  const { ino } = statSync(path);
  return readFileSync('/proc/locks', 'utf8')
    .split('\n')
    .some((line) => /\bLEASE\b/.test(line) && line.includes(`:${ino} `));
}

/** A process of the node holding a read lease on ./leased of `scratch`'s workspace until let go. */
async function holdLease(scratch: Scratch): Promise<{ said: () => string; letGo: () => Promise<void> }> {
  const holder = spawn(join(ATTACK_BIN, 'slow-open'), ['host'], {
    cwd: scratch.workspace,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const output: string[] = [];
  holder.stdout.on('data', (c: Buffer) => output.push(c.toString()));
  const ended = new Promise((resolve) => holder.once('close', resolve));
  const letGo = async () => {
    writeFileSync(join(scratch.workspace, 'release'), '');
    await ended;
  };
  try {
    await waitFor('the node process to hold the lease', async () => output.join('').includes('lease ok'), {
      timeoutMs: 10_000,
    });
  } catch (error) {
    await letGo();
    throw new Error(`${(error as Error).message}: ${output.join('')}`);
  }
  return { said: () => output.join(''), letGo };
}

attackSuite('attack: a slow open in one container', (suite) => {
  // Only where writes are emulated does the broker make the open; through an
  // agent, where containers share one process.
  const rows = matrix(['ci-runner', 'strict']).filter(([, mode]) => mode === 'agent');

  it.each(rows)('%s (%s): another container is answered while one waits in a lease break', async (profile, mode) => {
    const agent = suite.agent();
    const scratch = Scratch.create();
    const lease = await holdLease(scratch);
    let other: AttackRun | undefined;
    let stillWaiting = false;
    try {
      const run = await suite.run({
        profile,
        mode,
        program: 'slow-open',
        args: ['write'],
        scratch,
        timeoutMs: 120_000,
        whileRunning: async () => {
          await waitFor('the supervisor to wait in the lease break', async () => supervisorInLeaseBreak(agent.pid), {
            timeoutMs: 30_000,
          });
          other = await suite.run({ profile, mode, program: 'slow-open', args: ['opens', String(OPENS)] });
          // B has ended, and A's supervisor still waits: A's open has not come back.
          stillWaiting = supervisorInLeaseBreak(agent.pid) && leaseOn(join(scratch.workspace, 'leased'));
          await lease.letGo();
        },
      });
      expect(other, 'the other container ran').toBeDefined();
      expect(outcomeOf(other!, 'opens')).toBe(`ok ${OPENS}`);
      expect(other!.code).toBe(0);
      expect(stillWaiting, 'the first container still waited when the other ended').toBe(true);
      expect(lease.said()).toContain('released ok');
      expect(outcomeOf(run, 'write-open')).toBe('ok');
      await suite.expectContained(other!, { outsideUnchanged: true });
      await suite.expectContained(run, { outsideUnchanged: true });
    } finally {
      await lease.letGo();
    }
  });

  it.each(rows)(
    '%s (%s): a container stops while a lease the node holds keeps its open waiting',
    async (profile, mode) => {
      const scratch = Scratch.create();
      const lease = await holdLease(scratch);
      let leaseOnAtEnd = false;
      try {
        const run = await suite.run({
          profile,
          mode,
          program: 'slow-open',
          args: ['write'],
          scratch,
          timeoutMs: 60_000,
          whileRunning: async ({ zviz }) => {
            await waitFor(
              'the supervisor to wait in the lease break',
              async () => supervisorInLeaseBreak(suite.agent().pid),
              { timeoutMs: 30_000 }
            );
            const ended = new Promise((resolve) => zviz.once('close', resolve));
            zviz.kill('SIGTERM');
            await ended;
            leaseOnAtEnd = leaseOn(join(scratch.workspace, 'leased'));
          },
        });
        expect(run.timedOut, `the run timed out\n${run.stderr}`).toBe(false);
        expect(leaseOnAtEnd, 'the run ended while the lease was still on').toBe(true);
        expect(run.summary, run.stderr).toMatch(/SIGTERM/);
        // The workload never got the file (it ended in the open).
        expect(run.results.get('write-open')).toBeUndefined();
        // The node's process lets go first: it lives in the scratch tree, where no process may be left.
        await lease.letGo();
        await suite.expectContained(run, { outsideUnchanged: true });
      } finally {
        await lease.letGo();
      }
    }
  );
});
