// What the broker learns of the kernel's seccomp features, asked two ways:
// of the first workload's own listener (what `zviz run` does, so that it
// forks no throwaway copy of itself to ask) and of a throwaway child's (what
// the agent does when it reports them at start, before any workload). Both
// must find the same, and on a kernel with SYNC_WAKE_UP (6.6) and
// ADDFD_FLAG_SEND (5.14), both.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';

import { describeWhere, file, root, seccompUserNotif } from '@zviz/test-support/requirements';
import { brokerAddon } from '../../src/native/broker-addon';

const ZVIZ = join(__dirname, '..', '..', 'bin', 'zviz.js');
const DIST = join(__dirname, '..', '..', 'dist', 'zviz-run.js');

describeWhere(
  [root, seccompUserNotif, file(DIST, 'needs the built agent (npm run build)')],
  'kernel support, probed',
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'zviz-kernel-support-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const loaded = brokerAddon();
    const addonPath = loaded.ok ? loaded.path : '';

    it('finds the same on the first workload listener as on a throwaway one', () => {
      expect(loaded.ok).toBe(true);
      const before = spawnSync(
        process.execPath,
        ['-e', `console.log(JSON.stringify(require(${JSON.stringify(addonPath)}).kernelSupport()))`],
        { encoding: 'utf8' }
      );
      expect(before.status, before.stderr).toBe(0);
      const throwaway = JSON.parse(before.stdout);

      // Preloaded into zviz run: the same addon (one copy per process), asked at exit, after the run.
      const report = join(dir, 'after-run.json');
      const spy = join(dir, 'spy.js');
      writeFileSync(
        spy,
        `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(report)}, ` +
          `JSON.stringify(require(${JSON.stringify(addonPath)}).kernelSupport())));\n`
      );
      const run = spawnSync(process.execPath, ['-r', spy, ZVIZ, 'run', '--standalone', '--', '/bin/true'], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(run.status, run.stderr).toBe(0);
      const fromListener = JSON.parse(readFileSync(report, 'utf8'));

      expect(fromListener).toEqual(throwaway);
      expect(fromListener).toMatchObject({ userNotif: true, syncWakeUp: true, addfdSend: true });
    });
  }
);
