// Attack class: another container, by what the node shares
// (attacks/neighbours.c): its cgroup directory beside the workload's own, its
// processes in /proc, a signal, its workspace; with the workload's own PID
// namespace and with --pid host. other-containers.test.ts covers memory,
// tracing, descriptors and namespaces of the other container.
//
// Found here: where the view shows the host's /sys (every profile but
// strict), each container's cgroup directory was listed beside the others',
// under the container's id, with its process count and CPU use. Each
// container now has a cgroup namespace and the host view mounts the cgroup
// file systems again from it: the workload sees its own cgroup as the root
// ("/" in /proc/self/cgroup, its memory limit where programs look for it)
// and nothing beside it. Its way out of that namespace is tried too: a
// namespace of its own, setns into the node init's and the victim's, cgroup2
// mounted again, the view's mount unmounted (to uncover the node's below),
// ".." out of the mounted view's root, and with --pid host the victim's
// /proc/PID/cgroup (its path relative to the workload's root). Stated, not a boundary (docs/security.md, Known
// limits): with --pid host a workload lists and names every process of the
// node, another container's too (it reads its command line, not its
// environment), but signals none (the Landlock scope for signals: EPERM);
// under the host view it reads another's workspace.
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';

import { attackSuite, byProfile, matrix, outcomes, type Victim } from './harness';

const ATTEMPTS = [
  'cgroup-list-other',
  'cgroup-procs-other',
  'cgroup-cpu-other',
  'proc-list-other',
  'proc-cmdline-other',
  'proc-environ-other',
  'signal-other',
  'workspace-other',
  'cgroup-self-path',
  'cgroup-self-memory',
  'cgroup-proc-other',
  'cgroupns-unshare',
  'cgroupns-setns-init',
  'cgroupns-setns-other',
  'cgroup-mount-again',
  'cgroup-umount',
  'cgroup-dotdot-other',
  'cgroup-list-after',
];

const MEMORY = 64 * 1024 * 1024;

function unifiedCgroup(pid: number): string {
  const line = readFileSync(`/proc/${pid}/cgroup`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('0::'));
  if (!line) {
    throw new Error(`process ${pid} has no cgroup v2 line`);
  }
  return line.slice(3);
}

const hex = (text: string) => Buffer.from(text).toString('hex');

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function expected(
  profile: string,
  pidHost: boolean,
  victim: Victim,
  victimCgroup: string
): Record<string, string | RegExp> {
  const proc = pidHost
    ? {
        'proc-list-other': 'ok',
        'proc-cmdline-other': `read ${hex('./sleeper\0')}`,
        'proc-environ-other': 'errno EACCES', // the kernel: another user namespace, no CAP_SYS_PTRACE over it
        // Another container's processes are outside the workload's Landlock domain, scoped for
        // signals (docs/security.md, "Landlock scopes"); unscoped, the victim recorded the signal.
        'signal-other': 'errno EPERM',
        // Its cgroup namespace names the victim's cgroup relative to its own root: the way up and the
        // victim's directory, never the node's path to it (stated, as the command line).
        'cgroup-proc-other': new RegExp(`^line /(\\.\\./)+(.*/)?${escape(victimCgroup.split('/').pop() ?? '')}$`),
        'cgroupns-setns-init': 'errno EACCES (open)', // the node's init: no ptrace access to its namespaces
        'cgroupns-setns-other': 'errno EACCES (open)', // another user namespace, no CAP_SYS_PTRACE over it
      }
    : {
        'proc-list-other': 'absent',
        'proc-cmdline-other': 'errno ENOENT',
        'proc-environ-other': 'errno ENOENT',
        'signal-other': 'errno ESRCH',
        'cgroup-proc-other': 'errno ENOENT',
        'cgroupns-setns-init': 'errno EACCES (open)', // its zviz-init keeps capabilities the workload lacks
        'cgroupns-setns-other': 'errno ENOENT (open)',
      };
  // A namespace of its own, a cgroup file system mounted again, the view's mount taken away: the filter
  // refuses each (ENOSYS); observe's lets them through and the kernel refuses them (no CAP_SYS_ADMIN).
  const refused = profile === 'observe' ? 'errno EPERM' : 'errno ENOSYS';
  const cgroupns = { 'cgroupns-unshare': refused, 'cgroup-mount-again': refused, 'cgroup-umount': refused };
  const ownCgroupOnly = {
    // Its cgroup namespace: no other container's cgroup is there to list or read.
    'cgroup-list-other': 'errno ENOENT',
    'cgroup-procs-other': 'errno ENOENT',
    'cgroup-cpu-other': 'errno ENOENT',
    ...proc,
    'workspace-other': `read ${hex(victim.file)}`,
    'cgroup-self-path': '/',
    'cgroup-self-memory': `read ${hex(`${MEMORY}\n`)}`,
    ...cgroupns,
    'cgroup-dotdot-other': 'errno ENOENT',
    'cgroup-list-after': 'errno ENOENT',
  };
  return byProfile(profile, {
    // Neither /sys nor another workspace is in strict's view, whose reads are the kernel's.
    strict: {
      'cgroup-list-other': 'errno ENOENT',
      'cgroup-procs-other': 'errno ENOENT',
      'cgroup-cpu-other': 'errno ENOENT',
      ...proc,
      'workspace-other': 'errno ENOENT',
      'cgroup-self-path': '/',
      'cgroup-self-memory': 'errno ENOENT',
      ...cgroupns,
      'cgroup-dotdot-other': 'errno ENOENT',
      'cgroup-list-after': 'errno ENOENT',
    },
    'ci-runner': ownCgroupOnly,
    default: ownCgroupOnly,
    observe: ownCgroupOnly,
  });
}

attackSuite('attack: another container, by what the node shares', (suite) => {
  for (const pidMode of ['private', 'host'] as const) {
    it.each(matrix())(
      `%s (%s), --pid ${pidMode}: what of another container it sees and reaches`,
      async (profile, mode) => {
        const victim = await suite.victim(profile, mode);
        const victimCgroup = unifiedCgroup(victim.pid);
        const run = await suite.run({
          profile,
          mode,
          program: 'neighbours',
          memory: '64M',
          zvizArgs: pidMode === 'host' ? ['--pid', 'host'] : [],
          env: {
            ZVIZ_ATTACK_OTHER_PID: String(victim.pid),
            ZVIZ_ATTACK_OTHER_CGROUP: victimCgroup,
            ZVIZ_ATTACK_OTHER_WS: victim.scratch.workspace,
          },
        });
        // The victim's handler would record a signal when it runs, which under load may be after the attack ends.
        await new Promise((resolve) => setTimeout(resolve, 300));
        const signalled = victim.signalled();
        const ended = await victim.stop();
        const detail = `${run.stdout}\n${run.stderr}`;
        const want = expected(profile, pidMode === 'host', victim, victimCgroup);
        const got = outcomes(run, ATTEMPTS);
        for (const name of ATTEMPTS) {
          const w = want[name];
          if (w instanceof RegExp) {
            expect(got[name], `${name}\n${detail}`).toMatch(w);
          } else {
            expect(got[name], `${name}\n${detail}`).toBe(w);
          }
        }
        expect(outcomes(run, ['finished'])).toEqual({ finished: 'ok' });
        expect(signalled, 'the victim got SIGUSR2').toBe(false);
        expect(run.stdout).not.toContain(hex(victim.memory));
        await suite.expectContained(run, { outsideUnchanged: true });
        await suite.expectContained(ended);
      }
    );
  }
});
