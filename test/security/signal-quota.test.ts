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
// attacker holds its queue full.
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
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
});
