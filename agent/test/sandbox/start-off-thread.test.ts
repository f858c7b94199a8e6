// A workload starts off the agent's main thread: while one sets itself up
// (here held frozen in its cgroup, so the start cannot finish), the event
// loop keeps running and the container is `created`; a stop asked then kills
// it as soon as it runs. Before, a start held the main thread until the
// workload handed over its listener (at a thousand containers, half of it:
// docs/benchmarks.md), and this test would hang.
import { spawn } from 'node:child_process';
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { describeWhere, root, seccompUserNotif } from '@zviz/test-support/requirements';
import type { CgroupDriver } from '../../src/cgroups/cgroup';
import { createCgroupDriver } from '../../src/cgroups/driver';
import { detectCgroups } from '../../src/cgroups/detect';
import { ContainerManager } from '../../src/containers/manager';
import { addon, builtin } from './harness';

const turn = () => new Promise<void>((resolve) => setTimeout(resolve, 20));

describeWhere([root, seccompUserNotif], 'starting a workload', () => {
  let driver: CgroupDriver;
  let manager: ContainerManager;
  let frozen: string | undefined;
  const thaw = () => {
    try {
      writeFileSync(frozen!, '0');
    } catch {
      // removed with its container
    }
  };
  const group = `zviz-test-start-${process.pid}`;
  let unified = '';
  beforeAll(() => {
    const layout = detectCgroups();
    unified = 'unified' in layout ? layout.unified : '';
    driver = createCgroupDriver(layout, group, {
      attachDeviceProgram: (dir, rules) => addon().attachDeviceProgram(dir, rules),
    });
    // Each container's cgroup is frozen before its workload joins it: the start waits until it is thawed.
    const freezing: CgroupDriver = Object.assign(Object.create(driver) as CgroupDriver, {
      create(id: string) {
        const cgroup = driver.create(id);
        if (!cgroup.v2Dir) {
          throw new Error('this test needs a cgroup v2 hierarchy (cgroup.freeze)');
        }
        frozen = join(cgroup.v2Dir, 'cgroup.freeze');
        writeFileSync(frozen, '1');
        return cgroup;
      },
    });
    manager = new ContainerManager({ addon: addon(), cgroups: freezing });
  });
  afterAll(async () => {
    thaw();
    await manager.removeAll();
    driver.removeGroup();
  });

  it('leaves the event loop free while the workload sets itself up, and a stop asked meanwhile ends it once it runs', async () => {
    const devNull = openSync('/dev/null', 'r+');
    // Should the start hold the main thread (as it did), another process thaws the workload after a
    // while, so the test fails on what it sees instead of hanging.
    const rescue = spawn(
      '/bin/sh',
      ['-c', 'sleep 5; for f in "$1"/*/cgroup.freeze; do echo 0 > "$f"; done', 'sh', join(unified, group)],
      {
        stdio: 'ignore',
      }
    );
    try {
      let created = false;
      const creating = manager
        .create({
          name: 'held',
          profile: builtin('default'),
          command: ['/bin/sleep', '1000'],
          env: { PATH: '/usr/bin:/bin' },
          cwd: '/',
          limits: {},
          restart: { mode: 'always', maxRestarts: 0 },
          stdio: [devNull, devNull, devNull],
        })
        .then((c) => {
          created = true;
          return c;
        });
      // Timers run while the workload cannot finish starting.
      for (let i = 0; i < 5; i++) {
        await turn();
      }
      expect(created).toBe(false);
      const container = manager.get('held')!;
      expect(container.state).toBe('created');
      expect(container.pid).toBeUndefined();

      const stopping = manager.stop(container, 0);
      await turn();
      expect(container.finished).toBe(false);
      writeFileSync(frozen!, '0');
      expect(await creating).toBe(container);
      const end = await stopping;
      // Killed as soon as it ran, and not restarted despite `always`.
      expect(end.signal).toBe(9);
      expect(container.restarts).toBe(0);
      expect(['failed', 'exited']).toContain(container.state);
      await manager.remove(container);
    } finally {
      rescue.kill();
      closeSync(devNull);
    }
  });
});
