// Attack class: descriptors (attacks/descriptors.c). What a workload holds
// at exec, under every profile, through an agent and standalone, and with
// `--pid host`: its stdio and nothing else (no seccomp listener, no socket to
// the agent, nothing of the host). Then its descriptor table full
// (RLIMIT_NOFILE 3) while it makes opens that change something: the bare
// kernel, run first, is the reference (EMFILE, nothing created, truncated or
// woken). Where the broker emulates opens (`strict`, `ci-runner`), it opened
// first and installed after, so a full table still got the file created and
// truncated before the answer EMFILE. Judged on the host too: the agent holds
// no more descriptors after 2,000 refused installs than before.
import { readdirSync } from 'node:fs';
import { expect, it } from 'vitest';

import { attackSuite, matrix, outcomes } from './harness';

const AT_LIMIT = [
  'lower-limit',
  'create-at-limit',
  'truncate-at-limit',
  'fifo-at-limit',
  'dev-null-at-limit',
  'reads-at-limit',
  'raise-limit',
  'created-size',
  'keep-size',
  'writer-woke',
  'open-after',
];

function descriptorsOf(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

attackSuite('attack: descriptors at exec and a full descriptor table', (suite) => {
  let reference: Record<string, string> = {};

  it('the bare kernel changes nothing at the limit', () => {
    const bare = suite.runBare('descriptors');
    reference = outcomes({ results: bare.results } as never, AT_LIMIT);
    expect(reference, bare.stdout).toEqual({
      'lower-limit': 'ok',
      'create-at-limit': 'errno EMFILE',
      'truncate-at-limit': 'errno EMFILE',
      'fifo-at-limit': 'errno EMFILE',
      'dev-null-at-limit': 'errno EMFILE',
      'reads-at-limit': 'ok 2000',
      'raise-limit': 'ok',
      'created-size': 'errno ENOENT',
      'keep-size': 'ok 4',
      'writer-woke': 'errno ENOENT',
      'open-after': 'ok',
    });
  });

  it.each(matrix())('%s (%s): stdio only at exec; a full table changes nothing', async (profile, mode) => {
    const agent = suite.agent();
    const before = descriptorsOf(agent.pid);
    const run = await suite.run({ profile, mode, program: 'descriptors' });
    const detail = `${run.stdout}\n${run.stderr}`;
    expect(outcomes(run, ['fds']), detail).toEqual({ fds: 'ok 0,1,2' });
    expect(outcomes(run, AT_LIMIT), detail).toEqual(reference);
    // 2,000 installs refused: a descriptor kept for each would be here (the
    // agent's own come and go by a few: HTTP, cgroup files).
    expect(descriptorsOf(agent.pid) - before, `${profile}, ${mode}: the agent's descriptors`).toBeLessThan(100);
    await suite.expectContained(run, { outsideUnchanged: true });
  });

  it.each(matrix())('%s (%s, --pid host): stdio only at exec', async (profile, mode) => {
    const run = await suite.run({ profile, mode, program: 'descriptors', zvizArgs: ['--pid', 'host'] });
    const detail = `${run.stdout}\n${run.stderr}`;
    expect(outcomes(run, ['fds']), detail).toEqual({ fds: 'ok 0,1,2' });
    await suite.expectContained(run, { outsideUnchanged: true });
  });
});
