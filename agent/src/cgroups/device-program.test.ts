// The container's device list on cgroup v2 (native/src/broker/device_program.h),
// on the real kernel: a shell in a v2 cgroup with the program attached opens
// and makes (mknod) device nodes, and the same shell in a cgroup without it is
// the reference. Only the v2 cgroup is changed here: the test's processes stay
// in the host's v1 devices cgroup, which allows everything, so what is refused
// is the program's doing, as on a pure v2 host, where there is nothing else.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';

import { describeWhere, file, root, type Requirement } from '@zviz/test-support/requirements';
import { requireBrokerAddon } from '../native/broker-addon';
import { detectCgroups } from './detect';
import { CONTAINER_DEVICES } from './devices';

const layout = detectCgroups();
const unified = layout.kind === 'v2' || layout.kind === 'hybrid' ? layout.unified : undefined;
const cgroupV2: Requirement = () => (unified ? undefined : 'needs a cgroup v2 hierarchy (v2 or hybrid host)');

/** Device nodes of the host the list does not have, and two it has; each tried read-write. */
const REFUSED = ['/dev/userfaultfd', '/dev/kmsg', '/dev/mem', '/dev/loop0'].filter((d) => existsSync(d));
const ALLOWED = ['/dev/null', '/dev/zero'];

/** What a shell in the cgroup `dir` can open read-write and make with mknod in `nodes`. */
function tryDevices(dir: string, nodes: string): Record<string, string> {
  const script = [
    `echo $$ > ${dir}/cgroup.procs || exit 3`,
    `for d in ${[...REFUSED, ...ALLOWED].join(' ')}; do`,
    '  if ( : <> "$d" ) 2>/dev/null; then echo "$d open"; else echo "$d refused"; fi',
    'done',
    `if mknod ${nodes}/mem c 1 1 2>/dev/null; then echo "mknod-mem made"; else echo "mknod-mem refused"; fi`,
    `if mknod ${nodes}/null c 1 3 2>/dev/null; then echo "mknod-null made"; else echo "mknod-null refused"; fi`,
  ].join('\n');
  const shell = spawnSync('/bin/sh', ['-c', script], { encoding: 'utf8' });
  expect(shell.status, shell.stderr).toBe(0);
  return Object.fromEntries(
    shell.stdout
      .trim()
      .split('\n')
      .map((line) => line.split(' ') as [string, string])
  );
}

describeWhere(
  [root, cgroupV2, file(join(__dirname, '..', '..', 'build', 'Release', 'zviz_broker.node'), 'needs the built addon')],
  'device program on the v2 cgroup',
  () => {
    const made: string[] = [];
    const cgroup = (): string => {
      const dir = join(unified!, `zviz-device-test-${randomBytes(6).toString('hex')}`);
      mkdirSync(dir);
      made.push(dir);
      return dir;
    };
    const nodes = mkdtempSync(join(tmpdir(), 'zviz-device-nodes-'));
    afterAll(() => {
      made.forEach((dir) => rmdirSync(dir)); // the shells are gone: the cgroups are empty, the programs go with them
      rmSync(nodes, { recursive: true, force: true });
    });

    it('refuses every device node not on the list, for opens and mknod, as the v1 controller does', () => {
      expect(REFUSED.length).toBeGreaterThan(0);
      // Without the program (a pure v2 host before): every node opens, and mknod makes any.
      const bare = tryDevices(cgroup(), nodes);
      expect(Object.values(bare).every((v) => v === 'open' || v === 'made')).toBe(true);
      rmSync(join(nodes, 'mem'), { force: true });
      rmSync(join(nodes, 'null'), { force: true });

      const dir = cgroup();
      requireBrokerAddon().attachDeviceProgram(dir, CONTAINER_DEVICES);
      expect(tryDevices(dir, nodes)).toEqual({
        ...Object.fromEntries(REFUSED.map((d) => [d, 'refused'])),
        ...Object.fromEntries(ALLOWED.map((d) => [d, 'open'])),
        'mknod-mem': 'refused',
        'mknod-null': 'made',
      });
    });

    it('loads a list once and attaches that program to every cgroup with the list; another list gets its own', () => {
      /** Ids of the device programs attached to `dir`, as bpftool lists them. */
      const programs = (dir: string): number[] => {
        const shown = spawnSync('bpftool', ['-j', 'cgroup', 'show', dir], { encoding: 'utf8' });
        expect(shown.status, shown.stderr).toBe(0);
        return (JSON.parse(shown.stdout || '[]') as Array<{ id: number; attach_type: string }>)
          .filter((p) => p.attach_type === 'cgroup_device' || p.attach_type === 'device')
          .map((p) => p.id);
      };
      const [a, b, c] = [cgroup(), cgroup(), cgroup()];
      requireBrokerAddon().attachDeviceProgram(a, CONTAINER_DEVICES);
      requireBrokerAddon().attachDeviceProgram(b, CONTAINER_DEVICES);
      requireBrokerAddon().attachDeviceProgram(c, ['c 1:3 rwm']);
      expect(programs(a)).toHaveLength(1);
      expect(programs(b)).toEqual(programs(a));
      expect(programs(c)).toHaveLength(1);
      expect(programs(c)).not.toEqual(programs(a));
      // Each cgroup enforces its own list: /dev/zero is on the containers' list, not on c's.
      const zero = (dir: string) =>
        spawnSync(
          '/bin/sh',
          ['-c', `echo $$ > ${dir}/cgroup.procs; ( : < /dev/zero ) 2>/dev/null && echo open || echo refused`],
          {
            encoding: 'utf8',
          }
        ).stdout.trim();
      expect([zero(b), zero(c)]).toEqual(['open', 'refused']);
    });

    it('reads the list as devices.allow does, and says what is wrong with a bad rule', () => {
      const dir = cgroup();
      requireBrokerAddon().attachDeviceProgram(dir, ['c 1:3 r', 'c 136:* rw', 'a *:* m']);
      const script = `echo $$ > ${dir}/cgroup.procs; ( : < /dev/null ) && echo read-ok; ( : > /dev/null ) || echo write-refused`;
      expect(spawnSync('/bin/sh', ['-c', script], { encoding: 'utf8' }).stdout.trim().split('\n')).toEqual([
        'read-ok',
        'write-refused',
      ]);
      for (const bad of ['c 1:3', 'x 1:3 r', 'c one:3 r', 'c 1:3 rq', 'c1:3 r']) {
        expect(() => requireBrokerAddon().attachDeviceProgram(dir, [bad])).toThrow(bad);
      }
    });
  }
);
