// Attack class: what /proc tells about the node as a whole
// (attacks/node-files.c): /proc/key-users (every user's key count and quota
// use), /proc/keys, /proc/timer_list, /proc/sched_debug and /proc/interrupts
// (a side channel on other tenants' activity). Every container's view masks
// them, whatever the profile (agent/native/src/broker/spawn_kernel_files.cc:
// Docker's masked paths, and key-users, which Docker leaves readable): the
// workload reads nothing where the node shows root their content, and a file
// this kernel does not have stays absent. /proc/stat, not masked, is the
// control: it reads there as on the node. Kernel addresses in kallsyms are
// kernel-secrets.test.ts's.
import { existsSync, readFileSync } from 'node:fs';

import { expect, it } from 'vitest';

import { attackSuite, matrix, outcomes } from './harness';

const MASKED = ['key-users', 'keys', 'timer_list', 'sched_debug', 'interrupts'];

/** What the node shows its root for each file: "shown" (some bytes), or absent on this kernel. */
function onTheNode(name: string): 'shown' | 'absent' {
  const path = `/proc/${name}`;
  if (!existsSync(path)) {
    return 'absent';
  }
  expect(readFileSync(path).length, `${path} on the node`).toBeGreaterThan(0);
  return 'shown';
}

attackSuite('attack: node-wide /proc files (key-users, keys, timer_list, sched_debug, interrupts)', (suite) => {
  it('the bare run reads what the node shows', () => {
    const bare = suite.runBare('node-files');
    const got = outcomes({ results: bare.results } as never, [...MASKED, 'stat']);
    for (const name of [...MASKED, 'stat']) {
      expect(got[name], `${name}\n${bare.stdout}`).toMatch(
        onTheNode(name) === 'shown' ? /^ok bytes=[1-9]\d*$/ : /^errno ENOENT$/
      );
    }
  });

  it.each(matrix())('%s (%s): masked, nothing read', async (profile, mode) => {
    const run = await suite.run({ profile, mode, program: 'node-files' });
    const detail = `${run.stdout}\n${run.stderr}`;
    const got = outcomes(run, [...MASKED, 'stat']);
    const expected: Record<string, string> = {};
    for (const name of MASKED) {
      expected[name] = onTheNode(name) === 'shown' ? 'ok bytes=0' : 'errno ENOENT';
    }
    expect({ ...got, stat: got.stat.replace(/=[1-9]\d*$/, '=some') }, detail).toEqual({
      ...expected,
      stat: 'ok bytes=some',
    });
    await suite.expectContained(run, { outsideUnchanged: true });
  });
});
