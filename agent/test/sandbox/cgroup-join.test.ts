// How a workload joins its container's cgroups (native/src/broker/spawn.cc,
// OpenCgroups, and spawn_first_process.cc): cloned into the v2 cgroup and
// writing itself into the v1 ones' tasks files, which takes none of the
// kernel's global cgroup lock; by cgroup.procs where a clone into the cgroup
// would be killed at birth. Either way, every process of the workload is in
// every cgroup of its container.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

import { waitFor } from '@zviz/test-support/ports';
import { describeWhere, file, root, seccompUserNotif } from '@zviz/test-support/requirements';
import { detectCgroups } from '../../src/cgroups/detect';

const ZVIZ = join(__dirname, '..', '..', 'bin', 'zviz.js');
const DIST = join(__dirname, '..', '..', 'dist', 'zviz-run.js');

/**
 * `zviz run` of a shell and its child, from a shell that first does `before`:
 * their cgroups as the node sees them. Inside, the container's cgroup
 * namespace names every one of them "/", so each process prints its pid as
 * the node numbers it (--pid host) and waits on stdin while the test reads
 * its /proc/PID/cgroup.
 */
async function cgroupsOfRun(before: string): Promise<{ code: number | null; lines: string[]; stderr: string }> {
  // A background job's stdin is /dev/null: the child reads the pipe as descriptor 3.
  const inner = `exec 3<&0; echo $$; sh -c "echo \\$\\$; read x <&3" & read x; wait`;
  const run = `exec ${process.execPath} ${ZVIZ} run --standalone --pid host -- /bin/sh -c '${inner}'`;
  const child = spawn('/bin/sh', ['-c', `${before}\n${run}`], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const lines: string[] = [];
  try {
    const pids = await waitFor('both processes to print their pids', async () => {
      const found = stdout
        .trim()
        .split('\n')
        .filter((l) => /^\d+$/.test(l));
      return found.length === 2 ? found : undefined;
    });
    for (const pid of pids) {
      lines.push(...readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n'));
    }
  } finally {
    child.stdin.end();
  }
  return { code: await exited, lines, stderr };
}

/** Every hierarchy the container uses names the run's container cgroup, in both processes. */
function expectInContainer(lines: string[], stderr: string): void {
  const id = /^zviz: (r\d+-[0-9a-f]+) /.exec(stderr)?.[1];
  expect(id, stderr).toBeDefined();
  const layout = detectCgroups();
  const v1 = 'v1' in layout ? layout.v1 : {};
  const hierarchies = [
    ...('unified' in layout ? [''] : []),
    ...(['memory', 'pids', 'cpuacct', 'blkio', 'devices'] as const).filter((c) => v1[c] !== undefined),
  ];
  for (const process of [0, 1]) {
    const own = lines.slice(process * (lines.length / 2), (process + 1) * (lines.length / 2));
    for (const controllers of hierarchies) {
      const line = own.find(
        (l) => l.split(':')[1].split(',').includes(controllers) || (controllers === '' && l.startsWith('0::'))
      );
      expect(line, `${controllers || 'v2'} of process ${process}`).toMatch(new RegExp(`:/zviz-run/${id}$`));
    }
  }
}

describeWhere(
  [root, seccompUserNotif, file(DIST, 'needs the built agent (npm run build)')],
  'joining the container cgroups',
  () => {
    it('puts the workload and its children in every cgroup of its container', async () => {
      const { code, lines, stderr } = await cgroupsOfRun('');
      expect(code, stderr).toBe(0);
      expectInContainer(lines, stderr);
    });

    const layout = detectCgroups();
    const unified = 'unified' in layout ? layout.unified : undefined;
    // Without a v2 hierarchy nothing is cloned into a cgroup.
    it.runIf(unified !== undefined)(
      'still starts, in its cgroups, when zviz runs in a cgroup that was once killed (a clone into a cgroup dies then)',
      async () => {
        const killed = join(unified ?? '', `zviz-test-killed-${process.pid}`);
        mkdirSync(killed);
        try {
          expect(existsSync(join(killed, 'cgroup.kill')), 'cgroup.kill (Linux 5.14)').toBe(true);
          writeFileSync(join(killed, 'cgroup.kill'), '1');
          const { code, lines, stderr } = await cgroupsOfRun(`echo $$ > ${join(killed, 'cgroup.procs')}`);
          expect(code, stderr).toBe(0);
          expectInContainer(lines, stderr);
        } finally {
          rmdirSync(killed);
        }
      }
    );
  }
);
