// A start that fails names the step that failed and why (docs/security.md,
// "How a container starts"). The container's first process executes
// zviz-spawn at once and, with a PID namespace, zviz-init after the
// workload is forked; both are made to fail here with real files the kernel
// refuses to execute, and the container's end must carry the step's name,
// not a bare exit code 127.
import { spawnSync } from 'node:child_process';
import { chmodSync, closeSync, openSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { describeWhere, root, seccompUserNotif } from '@zviz/test-support/requirements';
import { scratchDir } from '@zviz/test-support/scratch';

import type { BrokerAddon } from '../../src/native/broker-addon';
import { createCgroupDriver } from '../../src/cgroups/driver';
import { detectCgroups } from '../../src/cgroups/detect';
import { ContainerManager } from '../../src/containers/manager';
import { addon, trueSpec } from './harness';

/** The real addon, with `overrides` added to every spawn's options. */
function addonWith(overrides: Record<string, string>): BrokerAddon {
  const real = addon();
  return Object.assign(Object.create(real) as BrokerAddon, {
    spawn: (options: Parameters<BrokerAddon['spawn']>[0], onEvent: Parameters<BrokerAddon['spawn']>[1]) =>
      real.spawn({ ...options, ...overrides }, onEvent),
  });
}

describeWhere([root, seccompUserNotif], 'a start that fails', () => {
  const group = `zviz-test-steps-${process.pid}`;
  const driver = () => createCgroupDriver(detectCgroups(), group);
  let dir: string;
  let notExecutable: string;
  const managers: ContainerManager[] = [];
  beforeAll(() => {
    dir = scratchDir('zviz-steps-');
    notExecutable = join(dir, 'not-executable');
    writeFileSync(notExecutable, '#!/bin/sh\n');
    chmodSync(notExecutable, 0o644);
  });
  afterAll(async () => {
    for (const manager of managers) {
      await manager.removeAll();
    }
    driver().removeGroup();
  });

  /** The container's end; a start that fails before it runs rejects (zviz run prints that message). */
  async function start(overrides: Record<string, string>, pid: 'private' | 'host') {
    const manager = new ContainerManager({ addon: addonWith(overrides), cgroups: driver() });
    managers.push(manager);
    const devNull = openSync('/dev/null', 'r+');
    try {
      const container = await manager.create(trueSpec('steps', dir, [devNull, devNull, devNull], { pid }));
      return await container.done;
    } finally {
      closeSync(devNull);
    }
  }

  it.each(['private', 'host'] as const)(
    'says so when zviz-spawn cannot be executed (PID namespace %s)',
    async (pid) => {
      await expect(start({ spawnerPath: notExecutable }, pid)).rejects.toThrow(
        /^executing zviz-spawn .*: Permission denied$/
      );
    }
  );

  it.each([
    ['/bin/true', 0],
    ['/bin/false', 1],
  ] as const)(
    'says how the first process ended when it ends without a word (%s as zviz-spawn)',
    async (program, code) => {
      for (const pid of ['private', 'host'] as const) {
        await expect(start({ spawnerPath: program }, pid)).rejects.toThrow(
          `the container's first process exited with code ${code} before the workload installed its filter, without saying why`
        );
      }
    }
  );

  it('says so when zviz-init cannot be executed, whether before or after the workload handed over its listener', async () => {
    // The init's report can reach the agent before the workload's listener (the start fails) or
    // after it (the container ends with an exec error); either way it names the step.
    const message = await start({ initPath: notExecutable }, 'private').then(
      (end) => `${end.exitCode} ${end.execError}`,
      (error: Error) => error.message
    );
    expect(message).toMatch(/executing zviz-init: Permission denied$/);
  });

  /** The real zviz-spawn under a filter that refuses what `defines` say (fixtures/refusing-spawner.c). */
  function refusingSpawner(name: string, defines: string[]): string {
    const refusing = join(dir, name);
    const built = spawnSync(
      'cc',
      [
        '-O2',
        `-DSPAWNER="${spawnerPath()}"`,
        ...defines.map((define) => `-D${define}`),
        '-o',
        refusing,
        join(__dirname, 'fixtures', 'refusing-spawner.c'),
        '-lseccomp',
      ],
      { encoding: 'utf8' }
    );
    expect(built.stderr).toBe('');
    expect(built.status).toBe(0);
    return refusing;
  }

  it.each(['private', 'host'] as const)(
    'names the descriptor limit when setting it is refused (PID namespace %s)',
    async (pid) => {
      // Every change to RLIMIT_NOFILE refused: only the workload's own step sets it.
      const refusing = refusingSpawner('refusing-nofile', ['REFUSE_NOFILE']);
      await expect(start({ spawnerPath: refusing }, pid)).rejects.toThrow(
        /^setting the soft descriptor limit the container starts with \(RLIMIT_NOFILE\): Operation not permitted$/
      );
    }
  );

  it('fails closed when a negative nice cannot be undone, and starts at a positive one it may not undo', async () => {
    // setpriority refused, as CAP_SYS_NICE's absence refuses raising a positive nice
    // (test/security/inherited.test.ts), and as a security module could refuse any change.
    const negative = refusingSpawner('refusing-nice-minus-5', ['REFUSE_NICE=-5']);
    await expect(start({ spawnerPath: negative }, 'private')).rejects.toThrow(
      /^starting the container at the normal scheduling policy, nice value and I\/O priority.*: Operation not permitted$/
    );
    const positive = refusingSpawner('refusing-nice-10', ['REFUSE_NICE=10']);
    expect(await start({ spawnerPath: positive }, 'private')).toMatchObject({ exitCode: 0 });
  });

  it('starts again with the real programs (the failures above left nothing behind)', async () => {
    const end = await start({}, 'private');
    expect(end).toMatchObject({ exitCode: 0 });
    expect(end.execError).toBeUndefined();
  });
});

/** The built zviz-spawn, beside the addon. */
function spawnerPath(): string {
  return join(dirname(require.resolve('../../build/Release/zviz_broker.node')), 'zviz-spawn');
}

it('zviz-spawn refuses to run for anyone but the agent', () => {
  const spawner = spawnerPath();
  const run = spawnSync(spawner, [], { encoding: 'utf8' });
  expect(run.status).toBe(2);
  expect(run.stderr).toMatch(/only the agent starts it/);
  const notASocket = spawnSync(spawner, ['0'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  expect(notASocket.status).toBe(2);
});
