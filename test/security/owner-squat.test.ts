// Attack class: keeping a dead `zviz run --standalone` run's processes alive
// by taking its pid. A standalone run's cgroup is named after the zviz
// process that owns it (r<pid>-...), and each standalone run kills what is
// left in the cgroups of owners that are gone (docs/security.md, "Fail
// closed"). With `--pid host` the workload shares the node's pids (32,768 on
// this machine), and what is left of a run whose zviz died (a process that
// reset its death signal) can fork until a child gets the dead zviz's pid,
// and write "zviz" over its command line: the owner counted as alive when a
// process of that pid had "zviz" in its command line, so that run was never
// cleaned. Forking through the node's pids takes seconds, in which any other
// standalone run on the node cleans the leftover first; so the test makes the
// state the workload reaches directly: a process named zviz-squat, inside a
// leftover cgroup named after its own pid. The next standalone run must kill
// it and remove the cgroup.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

import { describeWhere, file, root, seccompUserNotif } from '@zviz/test-support/requirements';
import { createCgroupDriver } from '../../agent/src/cgroups/driver';
import { detectCgroups } from '../../agent/src/cgroups/detect';
import { cgroupMountPoints } from '@zviz/test-support/cgroups';
import { AGENT_BUNDLE, ZVIZ } from './harness';

/** Standalone runs' cgroup group (agent/src/broker/standalone.ts). */
const STANDALONE_GROUP = 'zviz-run';

/** The leftover's cgroup.procs in every hierarchy where the driver made it. */
function cgroupProcsFiles(id: string): string[] {
  const mounts = cgroupMountPoints();
  return mounts.map((mount) => join(mount, STANDALONE_GROUP, id, 'cgroup.procs')).filter((path) => existsSync(path));
}

describeWhere(
  [root, seccompUserNotif, file(AGENT_BUNDLE, 'needs the built agent (npm run build)')],
  "attack: a dead standalone run's pid taken by what it left",
  () => {
    it('the next standalone run kills what is left in its cgroup, whatever calls itself zviz there', async () => {
      const squatter = spawn('sleep', ['600'], { argv0: 'zviz-squat', stdio: 'ignore' });
      const driver = createCgroupDriver(detectCgroups(), STANDALONE_GROUP);
      const id = `r${squatter.pid}-${randomBytes(6).toString('hex')}`;
      const leftover = driver.create(id);
      const gone = once(squatter, 'exit');
      try {
        for (const procs of cgroupProcsFiles(id)) {
          writeFileSync(procs, String(squatter.pid));
        }
        expect(leftover.procs()).toEqual([squatter.pid]);
        const run = spawnSync(
          process.execPath,
          [ZVIZ, 'run', '--standalone', '--profile', 'strict', '--', '/bin/true'],
          {
            encoding: 'utf8',
            timeout: 60_000,
            env: { ...process.env, ZVIZ_AGENT_SOCKET: '' },
          }
        );
        expect(run.status, run.stderr).toBe(0);
        const [, signal] = (await Promise.race([
          gone,
          new Promise((r) => setTimeout(() => r([null, 'still running']), 5_000)),
        ])) as [unknown, string];
        expect(signal).toBe('SIGKILL');
        expect(existsSync(leftover.path)).toBe(false);
      } finally {
        if (squatter.exitCode === null && squatter.signalCode === null) {
          squatter.kill('SIGKILL');
          await gone;
        }
        const left = driver.open(id);
        await left.drain(5_000);
        await left.remove();
      }
    });
  }
);
