// Attack class: the file systems a node mounts under /sys for its own
// administrators (attacks/kernel-mounts.c): debugfs, tracefs, securityfs,
// pstore, bpffs, fusectl. The host view shows the node's /sys, read-only,
// and a read-only mount still reads: debugfs's sched/debug lists every task
// of the node (where /proc/sched_debug, masked, moved in Linux 5.13),
// tracefs's printk_formats holds kernel addresses (which kallsyms hides), and
// a read of a tracefs trace_pipe consumes the events a tracer of the node is
// waiting for. Every container's view masks them (docs/security.md, "Who the
// workload is"), as a fresh sysfs gives Docker's containers none of them.
//
// This machine mounts none of them, as many hosts do not; systemd mounts them
// all. So the test mounts them in a mount namespace of its own (unshare), runs
// the agent and `zviz run` there, and judges on the node: the workload must
// not find a task of the node by its name, nor read kernel addresses, nor
// consume the event left in a tracefs instance, nor add one.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, expect, it } from 'vitest';

import { AttackAgent, ATTACK_BIN, attackSuite, byProfile, matrix, outcomes } from './harness';

const NAMES = [
  'debugfs',
  'sched-debug',
  'tracefs',
  'printk-formats',
  'trace-pipe',
  'trace-marker',
  'securityfs',
  'pstore',
  'bpffs',
  'fusectl',
];

/**
 * Mounts what a systemd node mounts under /sys, in a mount namespace of the
 * command's own; one the node has mounted already (another test of the
 * tracer may have mounted tracefs meanwhile) is kept as it is.
 */
const MOUNTS = [
  ['debugfs', '/sys/kernel/debug'],
  ['tracefs', '/sys/kernel/tracing'],
  ['securityfs', '/sys/kernel/security'],
  ['pstore', '/sys/fs/pstore'],
  ['bpf', '/sys/fs/bpf'],
  ['fusectl', '/sys/fs/fuse/connections'],
]
  .map(([type, dir]) => `{ mountpoint -q ${dir} || mount -t ${type} ${type} ${dir}; }`)
  .join(' && ');

function withNodeMounts(argv: string[]): string[] {
  return ['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', `${MOUNTS} && exec "$@"`, 'sh', ...argv];
}

/** A shell command run where tracefs is mounted (it is one file system for the whole node: instances are shared). */
function tracefs(script: string): string {
  return execFileSync('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c', `${MOUNTS} && ${script}`], {
    encoding: 'utf8',
  });
}

attackSuite('attack: debugfs, tracefs, securityfs and the other mounts of the node under /sys', (suite) => {
  const id = randomBytes(4).toString('hex');
  // The name of a task of the node (a sleep started through a link of this name: the kernel names a task by the file it ran).
  const taskName = `zvtask${id}`;
  const instance = `zviz-attack-${id}`;
  const instanceDir = `/sys/kernel/tracing/instances/${instance}`;
  let linkDir = '';
  let task: ChildProcess | undefined;
  let agent: AttackAgent | undefined;
  let instanceMade = false;

  beforeAll(async () => {
    linkDir = mkdtempSync('/var/lib/zviz-attack-task-');
    symlinkSync('/bin/sleep', join(linkDir, taskName));
    task = spawn(join(linkDir, taskName), ['600'], { stdio: 'ignore' });
    tracefs(`mkdir ${instanceDir}`);
    instanceMade = true;
    agent = await AttackAgent.start({ wrap: withNodeMounts });
  }, 60_000);

  afterAll(async () => {
    task?.kill('SIGKILL');
    await agent?.stop();
    // Only what beforeAll made: an afterAll that throws skips the suite's own,
    // which stops its agent (a failed mkdir here once left one running).
    if (instanceMade) {
      tracefs(`rmdir ${instanceDir}`);
    }
    if (linkDir) {
      rmSync(linkDir, { recursive: true, force: true });
    }
  });

  /** Leaves a fresh event in the instance's buffer, and returns its text. */
  function leaveEvent(): string {
    const mark = `zviz-attack-event-${randomBytes(6).toString('hex')}`;
    tracefs(
      `echo 0 > ${instanceDir}/tracing_on; echo > ${instanceDir}/trace; echo 1 > ${instanceDir}/tracing_on; echo ${mark} > ${instanceDir}/trace_marker`
    );
    return mark;
  }

  function env(mark: string): Record<string, string> {
    return { ZVIZ_ATTACK_TASK_NAME: taskName, ZVIZ_ATTACK_TRACE_INSTANCE: instance, ZVIZ_ATTACK_TRACE_MARK: mark };
  }

  it('the bare run, with the same mounts, finds the task, the addresses and the event', () => {
    const mark = leaveEvent();
    const argv = withNodeMounts([join(ATTACK_BIN, 'kernel-mounts')]);
    const stdout = execFileSync(argv[0], argv.slice(1), { encoding: 'utf8', env: { ...process.env, ...env(mark) } });
    const got = Object.fromEntries(
      stdout
        .trim()
        .split('\n')
        .map((line) => [line.slice(0, line.indexOf(' ')), line.slice(line.indexOf(' ') + 1)])
    );
    expect(
      {
        'sched-debug': got['sched-debug'],
        'printk-formats': got['printk-formats']?.replace(/=[1-9]\d*$/, '=some'),
        'trace-pipe': got['trace-pipe'],
        'trace-marker': got['trace-marker'],
      },
      stdout
    ).toEqual({
      'sched-debug': 'ok found=1',
      'printk-formats': 'ok nonzero=some',
      'trace-pipe': 'ok found=1',
      'trace-marker': 'ok',
    });
    // Consumed: the buffer no longer holds it.
    expect(tracefs(`cat ${instanceDir}/trace`)).not.toContain(mark);
  });

  it.each(matrix())('%s (%s): none of them is in the view', async (profile, mode) => {
    const mark = leaveEvent();
    const run = await suite.run({
      profile,
      mode,
      program: 'kernel-mounts',
      env: env(mark),
      agent,
      wrap: withNodeMounts,
    });
    const detail = `${run.stdout}\n${run.stderr}`;
    const got = outcomes(run, [...NAMES, 'finished']);
    // strict's view has no /sys (its reads are the kernel's: ENOENT) and its rules refuse every
    // write outside the workspace, as ci-runner's do (the broker: EACCES); elsewhere an empty mask.
    const [masked, absent, write] = byProfile(profile, {
      strict: ['errno ENOENT', 'errno ENOENT', 'errno EACCES'],
      'ci-runner': ['ok 0', 'errno ENOENT', 'errno EACCES'],
      default: ['ok 0', 'errno ENOENT', 'errno ENOENT'],
      observe: ['ok 0', 'errno ENOENT', 'errno ENOENT'],
    });
    expect(got, detail).toEqual({
      debugfs: masked,
      'sched-debug': absent,
      tracefs: masked,
      'printk-formats': absent,
      'trace-pipe': absent,
      'trace-marker': write,
      securityfs: masked,
      pstore: masked,
      bpffs: masked,
      fusectl: masked,
      finished: 'ok',
    });
    // Judged on the node: the event is still there to be read, and nothing was added.
    const trace = tracefs(`cat ${instanceDir}/trace`);
    expect(trace, 'the event the workload was not to consume').toContain(mark);
    expect(trace, 'an event the workload wrote').not.toContain('zviz-attack-forged-event');
    await suite.expectContained(run, { outsideUnchanged: true });
    expect(await agent!.notAlive(), 'the agent of the test').toBeUndefined();
  });
});
