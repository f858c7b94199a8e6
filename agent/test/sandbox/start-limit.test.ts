// A start has a time limit (broker.start_timeout_seconds; native/src/broker/
// spawn_deadline.h): past it the container's processes are killed, the start
// fails naming what it was waiting for, and the one thread that starts every
// workload is free for the next start. Two real stuck starts:
//   - a first process frozen in its cgroup before it executes zviz-spawn:
//     the spawn thread waits inside clone3 (CLONE_VFORK) until it does, and
//     only the watchdog can end that wait (before it, the start waited until
//     someone thawed the cgroup, and every later start with it);
//   - a zviz-spawn that executes and then never answers (a test program in
//     its place that sleeps).
// Each failed start is counted by reason (zviz_container_start_failures_total).
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { describeWhere, root, seccompUserNotif } from '@zviz/test-support/requirements';
import type { BrokerAddon } from '../../src/native/broker-addon';
import type { CgroupDriver } from '../../src/cgroups/cgroup';
import { createCgroupDriver } from '../../src/cgroups/driver';
import { detectCgroups } from '../../src/cgroups/detect';
import { ContainerManager, type ContainerSpec } from '../../src/containers/manager';
import { addon, trueSpec } from './harness';

/** The real addon, with `overrides` added to every spawn's options. */
function addonWith(overrides: Record<string, string>): BrokerAddon {
  const real = addon();
  return Object.assign(Object.create(real) as BrokerAddon, {
    spawn: (options: Parameters<BrokerAddon['spawn']>[0], onEvent: Parameters<BrokerAddon['spawn']>[1]) =>
      real.spawn({ ...options, ...overrides }, onEvent),
  });
}

const LIMIT_MS = 1000;

describeWhere([root, seccompUserNotif], 'a start past its time limit', () => {
  const group = `zviz-test-limit-${process.pid}`;
  let driver: CgroupDriver;
  let unified = '';
  let dir: string;
  let devNull: number;
  const managers: ContainerManager[] = [];

  beforeAll(() => {
    const layout = detectCgroups();
    unified = 'unified' in layout ? layout.unified : '';
    driver = createCgroupDriver(layout, group, {
      attachDeviceProgram: (d, rules) => addon().attachDeviceProgram(d, rules),
    });
    dir = mkdtempSync(join(tmpdir(), 'zviz-limit-'));
    devNull = openSync('/dev/null', 'r+');
  });
  afterAll(async () => {
    for (const manager of managers) {
      await manager.removeAll();
    }
    closeSync(devNull);
    driver.removeGroup();
    rmSync(dir, { recursive: true, force: true });
  });

  function manager(options: { cgroups?: CgroupDriver; addon?: BrokerAddon } = {}): ContainerManager {
    const made = new ContainerManager({
      addon: options.addon ?? addon(),
      cgroups: options.cgroups ?? driver,
      startTimeoutMs: LIMIT_MS,
    });
    managers.push(made);
    return made;
  }

  const spec = (name: string, over: Partial<ContainerSpec> = {}): ContainerSpec =>
    trueSpec(name, dir, [devNull, devNull, devNull], over);

  const counts = (m: ContainerManager) => Object.fromEntries(m.startFailures.entries());

  it('kills a first process frozen before it executes zviz-spawn, fails naming that step, and frees the spawn thread', async () => {
    if (!unified) {
      throw new Error('this test needs a cgroup v2 hierarchy (cgroup.freeze)');
    }
    let cgroupDir = '';
    // Each container's cgroup is frozen before the first process is cloned into it.
    const freezing: CgroupDriver = Object.assign(Object.create(driver) as CgroupDriver, {
      create(id: string) {
        const cgroup = driver.create(id);
        cgroupDir = cgroup.v2Dir!;
        writeFileSync(join(cgroupDir, 'cgroup.freeze'), '1');
        return cgroup;
      },
    });
    // Should the limit not hold, another process thaws the group after a while (and says so in
    // `thawed`): the test then fails on what it sees, instead of hanging.
    const thawed = join(dir, 'thawed');
    const rescue = spawn(
      '/bin/sh',
      [
        '-c',
        'sleep 20; touch "$2"; for f in "$1"/*/cgroup.freeze; do echo 0 > "$f"; done',
        'sh',
        join(unified, group),
        thawed,
      ],
      { stdio: 'ignore' }
    );
    try {
      const frozen = manager({ cgroups: freezing });
      const error = await frozen.create(spec('frozen', { command: ['/bin/sleep', '1000'] })).then(
        () => undefined,
        (e: Error & { reason?: string }) => e
      );
      expect(error?.message).toMatch(
        new RegExp(
          `^the container did not start within 1 s \\(broker\\.start_timeout_seconds\\): still making the ` +
            `container's first process and executing zviz-spawn; its processes were killed$`
        )
      );
      expect(error?.reason).toBe('timeout');
      expect(existsSync(thawed)).toBe(false); // it ended on its own, frozen
      // Nothing is left: the failed start removed the container's cgroup, which it cannot while a process is in it.
      expect(existsSync(cgroupDir)).toBe(false);
      expect(frozen.list()).toEqual([]);
      expect(counts(frozen)).toEqual({ timeout: 1, setup: 0, exec: 0, agent: 0, output: 0 });
    } finally {
      rescue.kill();
    }
    // The spawn thread is free: the next start, in a cgroup that is not frozen, runs.
    const next = await manager().create(spec('after-frozen'));
    expect(await next.done).toMatchObject({ exitCode: 0 });
  });

  it('kills a zviz-spawn that executes and never answers, and fails naming what it waited for', async () => {
    // In zviz-spawn's place: says its pid, then sleeps without reading its plan (fixtures/silent-spawner.c).
    const pidFile = join(dir, 'silent.pid');
    const silent = join(dir, 'silent-spawner');
    const built = spawnSync(
      'cc',
      ['-O2', `-DPID_FILE="${pidFile}"`, '-o', silent, join(__dirname, 'fixtures', 'silent-spawner.c')],
      { encoding: 'utf8' }
    );
    expect(built.stderr).toBe('');
    expect(built.status).toBe(0);
    const m = manager({ addon: addonWith({ spawnerPath: silent }) });
    // No PID namespace: the first process's pid is the one the agent sees.
    const error = await m.create(spec('silent', { pid: 'host' })).then(
      () => undefined,
      (e: Error & { reason?: string }) => e
    );
    expect(error?.message).toMatch(
      new RegExp(
        `^the container did not start within 1 s \\(broker\\.start_timeout_seconds\\): still setting the ` +
          `container up \\(zviz-spawn reading its plan, .*\\); its processes were killed$`
      )
    );
    expect(error?.reason).toBe('timeout');
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(pid).toBeGreaterThan(1);
    // Killed and reaped: not even a zombie is left.
    expect(existsSync(`/proc/${pid}`)).toBe(false);
    expect(counts(m)).toEqual({ timeout: 1, setup: 0, exec: 0, agent: 0, output: 0 });
    const next = await manager().create(spec('after-silent'));
    expect(await next.done).toMatchObject({ exitCode: 0 });
  });

  it('counts the other failed starts by reason: a step that failed, a program that cannot run', async () => {
    const notExecutable = join(dir, 'not-executable');
    writeFileSync(notExecutable, '#!/bin/sh\n');
    chmodSync(notExecutable, 0o644);
    const setup = manager({ addon: addonWith({ spawnerPath: notExecutable }) });
    await expect(setup.create(spec('setup'))).rejects.toThrow(/^executing zviz-spawn .*: Permission denied$/);
    expect(counts(setup)).toEqual({ timeout: 0, setup: 1, exec: 0, agent: 0, output: 0 });

    const exec = manager();
    await expect(exec.create(spec('missing', { command: ['/nonexistent/program'] }))).rejects.toThrow(
      /no such executable file/
    );
    // A program the agent finds executable but the kernel cannot execute: the run ends with the execve's error.
    const garbage = join(dir, 'garbage');
    writeFileSync(garbage, Buffer.from([0, 1, 2, 3]));
    chmodSync(garbage, 0o755);
    const refused = await exec.create(spec('refused', { command: [garbage] }));
    expect((await refused.done).execError).toMatch(/Exec format error$/);
    expect(counts(exec)).toEqual({ timeout: 0, setup: 0, exec: 2, agent: 0, output: 0 });
  });
});
