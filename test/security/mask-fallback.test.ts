// Attack class: the masks of a node whose kernel cannot clone a mount that
// is not attached (attacks/mask-writes.c, under attacks/force-mask-fallback.c).
// There zviz-spawn cannot bind the empty file of its read-only tmpfs over a
// masked file, and binds the node's /dev/null instead, as older builds did
// (agent/native/src/spawn/mount_calls.cc, MaskFile). This kernel can; the
// wrapper makes it answer as an older one does (EINVAL), so that the path
// such nodes take is tried here.
//
// What such a mask must still hold: it reads empty, and it is no way to the
// node's /dev/null inode. Writes to a device node need no writable mount, so
// they still go to /dev/null and vanish (Known limits), but chmod and new
// times need a writable mount: the bind is read-only. Before it was, under
// `default` and `observe` a chmod of a masked kernel file or of the agent's
// configuration file reached the node's /dev/null (which those views show
// writable anyway, Known limits); `ci-runner` and `strict` held it by their
// read-only steps.
import { statSync } from 'node:fs';
import { join } from 'node:path';

import { expect, it } from 'vitest';

import { ATTACK_BIN, attackSuite, byProfile, outcomes, PROFILES, Scratch } from './harness';

const KERNEL_FILE = 'key-users'; // /proc/key-users, masked in every view

attackSuite('attack: masks of a kernel that cannot clone a detached mount', (suite) => {
  it.each(PROFILES)(
    '%s (standalone): a mask is /dev/null, read-only: empty, and no way to its inode',
    async (profile) => {
      const scratch = Scratch.create({ 'zviz-etc/config.yaml': 'metrics: { auth: { type: none } }\n' });
      const config = join(scratch.outside, 'zviz-etc', 'config.yaml');
      const before = statSync('/dev/null');
      const run = await suite.run({
        profile,
        mode: 'standalone',
        program: 'mask-writes',
        scratch,
        wrap: (argv) => [join(ATTACK_BIN, 'force-mask-fallback'), '/usr/bin/env', `ZVIZ_CONFIG=${config}`, ...argv],
        env: { ZVIZ_ATTACK_MASKED_FILES: config },
      });
      const detail = `${run.stdout}\n${run.stderr}`;
      expect(run.code, detail).toBe(0);
      const after = statSync('/dev/null');

      // The fallback was taken: the masked kernel file is the node's /dev/null.
      expect(outcomes(run, [`${KERNEL_FILE}-type`, `${KERNEL_FILE}-read`]), detail).toEqual({
        [`${KERNEL_FILE}-type`]: 'ok chr 1:3',
        [`${KERNEL_FILE}-read`]: 'ok bytes=0',
      });
      // Neither it nor the agent's configuration file (which strict's rules refuse to read first) leads to the inode.
      const reached = [`${KERNEL_FILE}-chmod`, `${KERNEL_FILE}-truncate`];
      const configShown = profile !== 'strict';
      if (configShown) {
        reached.push('config.yaml-chmod', 'config.yaml-truncate');
        expect(outcomes(run, ['config.yaml-type', 'config.yaml-read']), detail).toEqual({
          'config.yaml-type': 'ok chr 1:3',
          'config.yaml-read': 'ok bytes=0',
        });
      }
      // chmod needs a writable mount; truncate(2) refuses a device first (EINVAL), as on the bare node.
      expect(outcomes(run, reached), detail).toEqual(
        Object.fromEntries(reached.map((name) => [name, name.endsWith('-chmod') ? 'errno EROFS' : 'errno EINVAL']))
      );
      // Where the view's /dev is the host's and writable (default, observe), the workload reaches /dev/null
      // itself (Known limits); elsewhere nothing did.
      if (byProfile(profile, { default: false, observe: false, 'ci-runner': true, strict: true })) {
        expect(after.ctimeMs, `${profile}: /dev/null's inode was changed\n${detail}`).toBe(before.ctimeMs);
        expect(after.mode).toBe(before.mode);
      }
      await suite.expectContained(run, { outsideUnchanged: true });
    }
  );
});
