// A profile prepared once (native/src/broker/prepared_profile.h) starts every
// container that uses it, with the programs and policy it was prepared from;
// anything else in its place is refused before a workload is made.
import { closeSync, openSync } from 'node:fs';
import { afterAll, expect, it } from 'vitest';

import { describeWhere, root, seccompUserNotif } from '@zviz/test-support/requirements';
import { addon, builtin, sandbox } from './harness';

describeWhere([root, seccompUserNotif], 'a prepared profile', () => {
  const box = sandbox('prepared');
  afterAll(() => box.close());

  it('is refused when it is not a handle prepareProfile made, and prepareProfile names a bad plan', () => {
    const compiled = builtin('default').forWorkspace('/tmp');
    const options = {
      containerId: 'never',
      profile: 'default',
      file: '/bin/true',
      argv: ['/bin/true'],
      env: [],
      cwd: '/tmp',
      stdio: [0, 1, 2] as [number, number, number],
      cgroupV1Procs: [],
      capabilities: compiled.capabilities,
      devices: [],
      waitKillableRecv: true,
      syncWakeUp: true,
      eventsAll: false,
      pid: 'private' as const,
      network: 'host' as const,
      filter: compiled.filter,
      policy: compiled.policy,
    };
    for (const forged of [{}, 7, { __preparedProfile: true }]) {
      expect(() => addon().spawn({ ...options, prepared: forged as never }, () => undefined)).toThrow(
        'options.prepared is not a profile prepareProfile made'
      );
    }
    expect(() =>
      addon().prepareProfile!({
        filter: { ...compiled.filter, rules: [{ ...compiled.filter.rules[0], syscall: 'no_such_call' }] },
        policy: compiled.policy,
      })
    ).toThrow(/^filter: /);
  });

  it('starts containers through the manager, one handle for all of them, each judged by its rules', async () => {
    const devNull = openSync('/dev/null', 'r+');
    try {
      const profile = builtin('default');
      const spec = (name: string, script: string) => ({
        name,
        profile,
        command: ['/bin/sh', '-c', script],
        env: { PATH: '/usr/bin:/bin' },
        cwd: '/tmp',
        limits: {},
        restart: { mode: 'no' as const, maxRestarts: 0 },
        stdio: [devNull, devNull, devNull] as [number, number, number],
      });
      // unshare(CLONE_NEWUSER) through the shell's own tool: refused by the default profile.
      const refused = await box.manager.create(spec('refuses', 'exec /usr/bin/unshare -U /bin/true'));
      const fine = await box.manager.create(spec('runs', 'exit 0'));
      expect((await fine.done).exitCode).toBe(0);
      expect((await refused.done).exitCode).not.toBe(0);
      expect(Object.keys(refused.currentDecisions().refusals)).toContain('unshare');
    } finally {
      closeSync(devNull);
    }
  });
});
