// Attack class: the pending-signal quota of the node's root (attacks/signals.c;
// docs/security.md, "Who the workload is"). The kernel counts queued signals
// per user namespace and uid, charging every level up to the namespace's
// owner, and compares the count with the receiver's RLIMIT_SIGPENDING. A
// workload whose root was the node's root could queue real-time signals to
// itself until uid 0's count was full: every root process of the node (the
// agent's wake-ups, other containers, the host's services) then failed to
// queue one (pthread_kill, sigqueue, glibc's setxid and cancellation
// signals: EAGAIN) until it exited. Each container now has a user namespace
// of its own, owned by a uid of its own, so its count is its own.
//
// What the victims see is judged, not an errno of the attacker: a root
// process of the node (the probe, outside any sandbox) and a workload of
// another container queue real-time signals to themselves while the
// attacker holds its queue full; and, with uid 0's quota used up by a
// process of the node itself, the agent still wakes its own threads: it
// cancels the FIFO waits of a container whose openers are killed and ends
// the container.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

import { waitFor } from '@zviz/test-support/ports';
import { ATTACK_BIN, attackSuite, matrix, outcomeOf, type AttackRun } from './harness';

const FILL = '200000';
const PROBE_OK = 'probe-pthread-kill ok\nprobe-sigqueue ok\n';

/** "fill ok QUEUED SigQ:\tCOUNT/LIMIT": what the filler queued and what its user's count then was. */
function parseFill(line: string): { queued: number; count: number; limit: number } {
  const m = /^ok (\d+) SigQ:\s*(\d+)\/(\d+)$/.exec(line);
  if (!m) {
    throw new Error(`unexpected fill outcome: ${line}`);
  }
  return { queued: Number(m[1]), count: Number(m[2]), limit: Number(m[3]) };
}

function threadsOf(pid: number): number {
  return readdirSync(`/proc/${pid}/task`).length;
}

attackSuite("attack: the node's pending-signal count", (suite) => {
  it.each(matrix())(
    "%s (%s): a workload that fills its signal queue takes nothing from the node's root or another container",
    async (profile, mode) => {
      let probe = '';
      let neighbour: AttackRun | undefined;
      const run = await suite.run({
        profile,
        mode,
        program: 'signals',
        args: ['fill', FILL],
        memory: '256M',
        timeoutMs: 90_000,
        whileRunning: async ({ scratch }) => {
          await waitFor('the workload to queue its signals', async () => existsSync(join(scratch.workspace, 'ready')), {
            timeoutMs: 30_000,
          });
          try {
            probe = execFileSync(join(ATTACK_BIN, 'signals'), ['probe'], { encoding: 'utf8' });
            neighbour = await suite.run({ profile, mode, program: 'signals', args: ['probe'] });
          } finally {
            writeFileSync(join(scratch.workspace, 'stop'), '');
          }
        },
      });
      const fill = parseFill(outcomeOf(run, 'fill'));
      // The attack happened: the workload's own count is full (it queued up to its limit)...
      expect(fill.queued, run.stdout).toBeGreaterThan(0);
      expect(fill.count, run.stdout).toBe(fill.limit);
      // ...and neither a root process of the node nor another container lost anything.
      expect(probe).toBe(PROBE_OK);
      expect(outcomeOf(neighbour!, 'probe-pthread-kill')).toBe('ok');
      expect(outcomeOf(neighbour!, 'probe-sigqueue')).toBe('ok');
      await suite.expectContained(neighbour!);
      await suite.expectContained(run, { outsideUnchanged: true });
    },
    120_000
  );

  // inotify instances are counted the same way (per user namespace and uid,
  // up to the namespace's owner): the workload gets the node's per-user
  // number for itself, and the node's root keeps its own.
  it.each(matrix())(
    "%s (%s): a workload that opens every inotify instance it may takes none of the node root's",
    async (profile, mode) => {
      let probe = '';
      const run = await suite.run({
        profile,
        mode,
        program: 'inotify',
        args: ['fill'],
        whileRunning: async ({ scratch }) => {
          await waitFor(
            'the workload to open its instances',
            async () => existsSync(join(scratch.workspace, 'ready')),
            {
              timeoutMs: 30_000,
            }
          );
          try {
            probe = execFileSync(join(ATTACK_BIN, 'inotify'), ['probe'], { encoding: 'utf8' });
          } finally {
            writeFileSync(join(scratch.workspace, 'stop'), '');
          }
        },
      });
      const perUser = readFileSync('/proc/sys/fs/inotify/max_user_instances', 'utf8').trim();
      expect(outcomeOf(run, 'fill')).toBe(`ok ${perUser} EMFILE`);
      expect(probe).toBe('probe ok\n');
      await suite.expectContained(run, { outsideUnchanged: true });
    },
    120_000
  );

  // The agent must not depend on queued signals at all: uid 0's count is the
  // node's, and any root process of it (a service, a `--pid host` workload
  // signalling one) can fill it. Here a process of the node does, outside any
  // sandbox, for the few seconds the container runs.
  it.each(['strict', 'ci-runner'])(
    '%s (agent): with the root quota of the node used up, the agent still cancels FIFO waits and ends the container',
    async (profile) => {
      const dir = mkdtempSync('/var/lib/zviz-attack-quota-');
      const filler = spawn(join(ATTACK_BIN, 'signals'), ['fill', FILL], {
        cwd: dir,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let filled = '';
      filler.stdout.on('data', (chunk: Buffer) => (filled += chunk.toString('utf8')));
      const fillerExited = new Promise((resolve) => filler.once('close', resolve));
      const threads = { before: 0, waiting: 0, after: 0 };
      let hostProbe = '';
      try {
        await waitFor('the node process to queue its signals', async () => existsSync(join(dir, 'ready')), {
          timeoutMs: 30_000,
        });
        // The precondition: a root process of the node can queue no real-time signal now.
        hostProbe = execFileSync(join(ATTACK_BIN, 'signals'), ['probe'], { encoding: 'utf8' });
        const run = await suite.run({
          profile,
          mode: 'agent',
          program: 'fifo',
          args: ['8', '2'],
          pids: 128,
          timeoutMs: 60_000,
          whileRunning: async ({ scratch }) => {
            const pid = suite.agent().pid;
            const at = (name: string) => join(scratch.workspace, name);
            const step = async (phase: string, measure: () => Promise<void> | void) => {
              await waitFor(phase, async () => existsSync(at(`phase-${phase}`)), { timeoutMs: 40_000 });
              await measure();
              writeFileSync(at(`go-${phase}`), '');
            };
            await step('started', () => {
              threads.before = threadsOf(pid);
            });
            await step('waiting', () => {
              threads.waiting = threadsOf(pid);
            });
            await step('killed', async () => {
              await waitFor('the FIFO workers to be gone', async () => threadsOf(pid) <= threads.before, {
                timeoutMs: 5_000,
              }).catch(() => undefined);
              threads.after = threadsOf(pid);
            });
          },
        });
        const detail = `${run.stdout}\n${run.stderr}\nthreads: ${JSON.stringify(threads)}\nnode filler: ${filled}`;
        expect(hostProbe, detail).toBe('probe-pthread-kill errno EAGAIN\nprobe-sigqueue errno EAGAIN\n');
        expect(outcomeOf(run, 'finished'), detail).toBe('ok');
        expect(outcomeOf(run, 'killed'), detail).toBe('16');
        // Eight waits in eight worker threads, each cancelled once its opener was killed.
        expect(threads.waiting - threads.before, detail).toBe(8);
        expect(threads.after, detail).toBeLessThanOrEqual(threads.before);
        await suite.expectContained(run, { outsideUnchanged: true });
      } finally {
        writeFileSync(join(dir, 'stop'), '');
        await fillerExited;
        rmSync(dir, { recursive: true, force: true });
      }
    },
    120_000
  );
});
