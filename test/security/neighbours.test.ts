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
// and nothing beside it. Stated, not a boundary (docs/security.md, Known
// limits): with --pid host a workload lists, names and signals every process
// of the node, another container's too (it reads its command line, not its
// environment); under the host view it reads another's workspace.
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';

import { waitFor } from '@zviz/test-support/ports';

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

function expected(profile: string, pidHost: boolean, victim: Victim): Record<string, string | RegExp> {
  const proc = pidHost
    ? {
        'proc-list-other': 'ok',
        'proc-cmdline-other': `read ${hex('./sleeper\0')}`,
        'proc-environ-other': 'errno EACCES', // the kernel: another user namespace, no CAP_SYS_PTRACE over it
        'signal-other': 'ok',
      }
    : {
        'proc-list-other': 'absent',
        'proc-cmdline-other': 'errno ENOENT',
        'proc-environ-other': 'errno ENOENT',
        'signal-other': 'errno ESRCH',
      };
  const ownCgroupOnly = {
    // Its cgroup namespace: no other container's cgroup is there to list or read.
    'cgroup-list-other': 'errno ENOENT',
    'cgroup-procs-other': 'errno ENOENT',
    'cgroup-cpu-other': 'errno ENOENT',
    ...proc,
    'workspace-other': `read ${hex(victim.file)}`,
    'cgroup-self-path': '/',
    'cgroup-self-memory': `read ${hex(`${MEMORY}\n`)}`,
  };
  return byProfile(profile, {
    strict: {
      'cgroup-list-other': 'errno EACCES',
      'cgroup-procs-other': 'errno EACCES',
      'cgroup-cpu-other': 'errno EACCES',
      ...proc,
      'workspace-other': 'errno EACCES',
      'cgroup-self-path': '/',
      'cgroup-self-memory': 'errno EACCES', // no /sys in its view
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
        const run = await suite.run({
          profile,
          mode,
          program: 'neighbours',
          memory: '64M',
          zvizArgs: pidMode === 'host' ? ['--pid', 'host'] : [],
          env: {
            ZVIZ_ATTACK_OTHER_PID: String(victim.pid),
            ZVIZ_ATTACK_OTHER_CGROUP: unifiedCgroup(victim.pid),
            ZVIZ_ATTACK_OTHER_WS: victim.scratch.workspace,
          },
        });
        // The victim's handler records the signal when it runs, which under load may be after the attack ends.
        const signalled =
          pidMode === 'host'
            ? await waitFor('the victim to record SIGUSR2', async () => victim.signalled())
            : victim.signalled();
        const ended = await victim.stop();
        const detail = `${run.stdout}\n${run.stderr}`;
        const want = expected(profile, pidMode === 'host', victim);
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
        expect(signalled).toBe(pidMode === 'host');
        expect(run.stdout).not.toContain(hex(victim.memory));
        await suite.expectContained(run, { outsideUnchanged: true });
        await suite.expectContained(ended);
      }
    );
  }
});
