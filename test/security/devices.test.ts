// Attack class: device nodes (attacks/devices.c): the host's devices under
// /dev (the console, the host's terminals and screen contents among them),
// nodes the workload makes itself with mknod, and device nodes lying in the
// workspace (made there by the test beforehand, as a workload with CAP_MKNOD
// on a host without a device cgroup could) and reached through a link.
//
// The container's device list (agent/src/cgroups/devices.ts) allows null,
// zero, full, random, urandom, tty, ptmx and pts. The kernel's device cgroup
// enforces it for the workload's own opens and mknod; the broker enforces it
// for the opens it makes on the workload's behalf (EPERM, as the kernel),
// judging the opened inode's device number, not its path. No built-in profile
// grants CAP_MKNOD, so mknod of any device node is refused (EPERM);
// `ci-runner` and `strict` also refuse, by rule, writes to other device paths.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

import { attackSuite, byProfile, matrix, MODES, outcomes, Scratch } from './harness';
import { detectCgroups } from '../../agent/src/cgroups/detect';

const NO_MKNOD = 'errno EPERM (mknod)';

function expected(profile: string): Record<string, string> {
  const cgroup = {
    'dev-null-write': 'ok',
    'dev-kmsg-write': 'errno EPERM',
    'dev-kmsg-read': 'errno EPERM',
    // The node's console, not a console of the container's own: not on the list.
    'dev-console-write': 'errno EPERM',
    'dev-console-read': 'errno EPERM',
    'dev-tty0': 'errno EPERM',
    'dev-tty1': 'errno EPERM',
    'dev-ttyS0': 'errno EPERM',
    'dev-vcs': 'errno EPERM',
    'dev-vcsa': 'errno EPERM',
    'dev-vcs-write': 'errno EPERM',
    'dev-kvm': 'errno EPERM',
    'dev-loop-control': 'errno EPERM',
    'dev-loop0': 'errno EPERM',
    'dev-fuse': 'errno EPERM',
    'dev-btrfs-control': 'errno EPERM',
    'dev-cpu-dma-latency': 'errno EPERM',
    'dev-hwrng': 'errno EPERM',
    'mknod-root-block-device': NO_MKNOD,
    'mknod-mem': NO_MKNOD,
    'mknod-kmsg': NO_MKNOD,
    'mknod-null': NO_MKNOD,
    'mknod-fifo': 'ok',
    // Nodes in the workspace: the device is judged, wherever its node lies.
    'planted-kmsg': 'errno EPERM',
    'planted-mem': 'errno EPERM',
    'planted-hwrng': 'errno EPERM',
    'planted-loop0': 'errno EPERM',
    'planted-console': 'errno EPERM',
    'planted-null': 'ok',
    'link-planted-kmsg-made': 'ok',
    'link-planted-kmsg': 'errno EPERM',
    // bpf(2) never reaches the kernel: the v2 cgroup's device program cannot be seen or detached.
    'bpf-device-query': 'errno ENOSYS',
    'bpf-device-detach': 'errno ENOSYS',
    'bpf-prog-next-id': 'errno ENOSYS',
    'dev-kmsg-after-detach': 'errno EPERM',
  };
  // Writes to other device paths are refused by the broker's rules first.
  const brokered = {
    ...cgroup,
    'dev-kmsg-write': 'errno EACCES',
    'dev-console-write': 'errno EACCES',
    'dev-tty0': 'errno EACCES',
    'dev-tty1': 'errno EACCES',
    'dev-ttyS0': 'errno EACCES',
    'dev-vcs-write': 'errno EACCES',
    'dev-kvm': 'errno EACCES',
    'dev-loop-control': 'errno EACCES',
    'dev-fuse': 'errno EACCES',
    'dev-btrfs-control': 'errno EACCES',
    'dev-cpu-dma-latency': 'errno EACCES',
    'dev-kmsg-after-detach': 'errno EACCES',
  };
  // strict's allow-list view has only the harmless devices: the others do not exist there.
  const absent = ['dev-kmsg-read', 'dev-console-read', 'dev-vcs', 'dev-vcsa', 'dev-loop0', 'dev-hwrng'].map((name) => [
    name,
    'errno ENOENT',
  ]);
  return byProfile(profile, {
    default: cgroup,
    // observe's filter lets bpf(2) through. The kernel wants CAP_NET_ADMIN for a query and CAP_SYS_ADMIN
    // for the programs' ids, and none for a detach: the program is attached with BPF_F_ALLOW_MULTI, so a
    // detach must name it by a descriptor (EINVAL without one), and no descriptor of it can be had.
    observe: {
      ...cgroup,
      'bpf-device-query': 'errno EPERM',
      'bpf-device-detach': 'errno EINVAL',
      'bpf-prog-next-id': 'errno EPERM',
    },
    'ci-runner': brokered,
    strict: { ...brokered, ...Object.fromEntries(absent) },
  });
}

/** Device nodes made in the workspace before the run: name, type, major, minor (whether the host has the device or not). */
const PLANTED: Array<[string, 'c' | 'b', number, number]> = [
  ['planted-kmsg', 'c', 1, 11],
  ['planted-mem', 'c', 1, 1],
  ['planted-hwrng', 'c', 10, 183],
  ['planted-loop0', 'b', 7, 0],
  ['planted-console', 'c', 5, 1],
  ['planted-null', 'c', 1, 3],
];

function plant(scratch: Scratch): void {
  for (const [name, type, major, minor] of PLANTED) {
    execFileSync('mknod', ['-m', '0666', join(scratch.workspace, name), type, String(major), String(minor)]);
  }
}

attackSuite('attack: device nodes', (suite) => {
  it.each(matrix())('%s (%s): no device beyond the allowed list is opened', async (profile, mode) => {
    const scratch = Scratch.create();
    plant(scratch);
    const run = await suite.run({ profile, mode, scratch, program: 'devices' });
    const want = expected(profile);
    expect(outcomes(run, Object.keys(want))).toEqual(want);
    // The host's disk is never read (the kernel here refuses even root; the broker must not do better).
    expect(run.results.get('root-disk-read')).toMatch(/^errno /);
    await suite.expectContained(run, { outsideUnchanged: true });
  });
});

// On a pure cgroup v2 host there is no devices controller: the container's
// v2 cgroup carries the list itself, as a BPF device program, and before it
// did not, so a workload opened every device node the host view shows (the
// node's disks, /dev/kmsg, /dev/userfaultfd, whose user-mode faults the
// broker's reads would wait on). This host is hybrid, so the workload's own
// opens above are held by the v1 controller as well; here a shell of the host
// joins only the running container's v2 cgroup (it stays in the host's v1
// devices cgroup, which allows everything) and opens what the list refuses.
const DEVICES_V2 = ['/dev/userfaultfd', '/dev/kmsg', '/dev/loop-control'].filter((d) => existsSync(d));

function opensIn(cgroupDir: string | undefined): Record<string, string> {
  const join = cgroupDir ? `echo $$ > ${cgroupDir}/cgroup.procs || exit 3\n` : '';
  const script = `${join}for d in ${[...DEVICES_V2, '/dev/null'].join(' ')}; do ( : <> "$d" ) 2>&- && echo "$d open" || echo "$d refused"; done`;
  const shell = spawnSync('/bin/sh', ['-c', script], { encoding: 'utf8' });
  expect(shell.status, shell.stderr).toBe(0);
  return Object.fromEntries(
    shell.stdout
      .trim()
      .split('\n')
      .map((line) => line.split(' ') as [string, string])
  );
}

attackSuite('attack: device nodes on the v2 cgroup alone', (suite) => {
  const layout = detectCgroups();
  const unified = layout.kind === 'v2' || layout.kind === 'hybrid' ? layout.unified : undefined;
  it.each(MODES)(
    'default (%s): the container cgroup refuses devices off the list without a v1 controller',
    async (mode) => {
      expect(unified, 'a cgroup v2 hierarchy').toBeDefined();
      expect(DEVICES_V2.length).toBeGreaterThan(0);
      // The reference: the same shell outside any container opens every one.
      expect(opensIn(undefined)).toEqual(Object.fromEntries([...DEVICES_V2, '/dev/null'].map((d) => [d, 'open'])));
      const victim = await suite.victim('default', mode);
      try {
        const line = readFileSync(`/proc/${victim.pid}/cgroup`, 'utf8')
          .split('\n')
          .find((l) => l.startsWith('0::'));
        expect(line).toBeDefined();
        expect(opensIn(join(unified!, line!.slice(3)))).toEqual({
          ...Object.fromEntries(DEVICES_V2.map((d) => [d, 'refused'])),
          '/dev/null': 'open',
        });
      } finally {
        await suite.expectContained(await victim.stop());
      }
    }
  );
});
