// Attack class: what a container shares with the host without a namespace
// of its own (attacks/shared.c): the host's /tmp (another tenant's file, a
// symlink planted for a host process to follow), the host's System V shared
// memory, POSIX message queues and POSIX shared memory (/dev/shm), and IPC
// objects a workload leaves behind.
//
// Every container has its own IPC namespace and its own /dev/shm (and
// /dev/mqueue); `strict` and `ci-runner` have a /tmp of their own, a tmpfs
// that ends with the container (docs/profiles.md, "filesystem"). `default`
// and `observe` show the host's /tmp: their rows say so.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { lstatSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

import { ATTACK_BIN, attackSuite, byProfile, matrix, outcomes } from './harness';

const HOST_IPC = join(ATTACK_BIN, 'host-ipc');

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Whether the profile's /tmp is its own (the host's /tmp is out of reach). */
const PRIVATE_TMP: Record<string, boolean> = { strict: true, 'ci-runner': true, default: false, observe: false };

attackSuite('attack: host /tmp and host IPC', (suite) => {
  it.each(matrix())('%s (%s): nothing of the host is shared', async (profile, mode) => {
    const tmp = mkdtempSync('/tmp/zviz-attack-host-');
    const secret = `ZVIZ-HOST-TMP-${randomBytes(12).toString('hex')}\n`;
    writeFileSync(join(tmp, 'secret'), secret, { mode: 0o600 });
    const plant = join(tmp, 'planted');
    const key = `0x${randomBytes(3).toString('hex')}1`;
    const leftKey = `0x${randomBytes(3).toString('hex')}2`;
    const queue = `/zviz-attack-${randomBytes(6).toString('hex')}`;
    const ipcSecret = `ZVIZ-HOST-IPC-${randomBytes(12).toString('hex')}`;
    const posixShm = `zviz-attack-${randomBytes(6).toString('hex')}`;
    execFileSync(HOST_IPC, ['create', key, queue, ipcSecret]);
    writeFileSync(join('/dev/shm', posixShm), ipcSecret, { mode: 0o600 });
    try {
      const run = await suite.run({
        profile,
        mode,
        program: 'shared',
        env: {
          ZVIZ_ATTACK_HOST_TMP_SECRET: join(tmp, 'secret'),
          ZVIZ_ATTACK_HOST_TMP_PLANT: plant,
          ZVIZ_ATTACK_SHM_KEY: key,
          ZVIZ_ATTACK_MQ: queue,
          ZVIZ_ATTACK_POSIX_SHM: posixShm,
          ZVIZ_ATTACK_SHM_LEFT_KEY: leftKey,
        },
      });
      // The host's objects do not exist in the container's IPC namespace and /dev/shm.
      expect(outcomes(run, ['host-shm-read', 'host-mq-read', 'host-posix-shm-read'])).toEqual({
        'host-shm-read': 'errno ENOENT',
        'host-mq-read': 'errno ENOENT',
        'host-posix-shm-read': 'errno ENOENT',
      });
      const hexSecret = Buffer.from(ipcSecret).toString('hex');
      expect(run.stdout).not.toContain(hexSecret.slice(0, 32));
      // A segment the workload made (in its own namespace: allowed) is gone with it, and never was the host's.
      expect(outcomes(run, ['shm-left-behind'])['shm-left-behind']).toMatch(/^ok|^errno /);
      expect(spawnSync(HOST_IPC, ['exists', leftKey]).status).toBe(1);
      const hostTmp = byProfile(profile, PRIVATE_TMP)
        ? { 'host-tmp-read': 'errno ENOENT', 'host-tmp-plant': 'errno ENOENT' }
        : { 'host-tmp-read': `read ${Buffer.from(secret).toString('hex')}`, 'host-tmp-plant': 'ok' };
      expect(outcomes(run, ['host-tmp-read', 'host-tmp-plant'])).toEqual(hostTmp);
      // What the host sees: a link planted in its /tmp, only where /tmp is shared.
      expect(exists(plant), 'a link planted in the host /tmp').toBe(!byProfile(profile, PRIVATE_TMP));
      await suite.expectContained(run);
    } finally {
      execFileSync(HOST_IPC, ['remove', key, queue]);
      execFileSync(HOST_IPC, ['remove', leftKey]);
      rmSync(join('/dev/shm', posixShm), { force: true });
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
