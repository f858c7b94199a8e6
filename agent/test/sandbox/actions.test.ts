// Every profile action, on real syscalls: what the workload sees, and what
// the broker counts. With denial auditing on (the default), ERRNO, KILL and
// LOG are answered by the broker exactly as the kernel would and counted
// under layer "seccomp"; TRAP stays in the kernel and is not counted; with
// auditing off, the kernel decides alone and nothing is counted.
import { join } from 'node:path';
import { beforeAll, afterAll, expect, it } from 'vitest';

import { describeWhere, root, seccompUserNotif } from '@zviz/test-support/requirements';
import {
  BIN,
  buildWorkloads,
  decisionCount,
  EventLog,
  lines,
  metrics,
  profileFrom,
  run,
  sandbox,
  type Sandbox,
} from './harness';

const SIGKILL = 9;
const SIGSYS = 31;

function profile(audit: boolean) {
  return profileFrom({
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [
      { names: ['getuid'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 },
      { names: ['geteuid'], action: 'SCMP_ACT_ERRNO' },
      { names: ['getgid'], action: 'SCMP_ACT_KILL_PROCESS' },
      { names: ['getegid'], action: 'SCMP_ACT_KILL' },
      { names: ['sched_yield'], action: 'SCMP_ACT_TRAP' },
      { names: ['getpgrp'], action: 'SCMP_ACT_LOG' },
      { names: ['getppid'], action: 'SCMP_ACT_NOTIFY' },
      { names: ['sync'], action: 'SCMP_ACT_NOTIFY' },
    ],
    zviz: {
      audit,
      broker: [{ syscalls: ['sync'], decision: 'deny', errno: 'EROFS' }],
      defaultDecision: 'allow',
    },
  });
}

describeWhere([root, seccompUserNotif], 'profile actions', () => {
  let box: Sandbox;
  let log: EventLog;
  beforeAll(() => {
    buildWorkloads();
    box = sandbox('actions');
    log = new EventLog();
  });
  afterAll(() => box.close());

  it('answers ERRNO, LOG and NOTIFY as the profile says, and counts them by layer', async () => {
    const before = metrics();
    const result = await run(box, {
      profile: profile(true),
      command: [join(BIN, 'calls'), 'getuid', 'geteuid', 'getpgrp', 'getppid', 'sync', 'getpid'],
    });
    await log.settle();
    const after = metrics();
    const out = lines(result.stdout);
    expect(out.get('getuid')).toBe('errno EACCES');
    expect(out.get('geteuid')).toBe('errno EPERM'); // no errnoRet, no defaultErrnoRet: EPERM, as runc
    expect(out.get('getpgrp')).toMatch(/^ok \d+$/);
    expect(out.get('getppid')).toMatch(/^ok \d+$/); // NOTIFY without a rule: the default decision (allow)
    expect(out.get('sync')).toBe('errno EROFS'); // NOTIFY with a broker rule
    expect(out.get('getpid')).toMatch(/^ok \d+$/);
    const d = (s: string, k: string) => decisionCount(after, s, k) - decisionCount(before, s, k);
    expect(d('getuid', 'deny')).toBe(1);
    expect(d('geteuid', 'deny')).toBe(1);
    expect(d('getpgrp', 'log')).toBe(1);
    expect(d('getppid', 'allow')).toBe(1);
    expect(d('sync', 'deny')).toBe(1);
    expect(after.denials.seccomp - before.denials.seccomp).toBe(2);
    expect(after.denials.broker - before.denials.broker).toBe(1);
    const events = log.for(result.container.id);
    expect(events.filter((e) => e.syscall === 'getuid')).toMatchObject([
      { decision: 'deny', layer: 'seccomp', errno: 13 },
    ]);
    expect(events.filter((e) => e.syscall === 'getpgrp')).toMatchObject([{ decision: 'log', layer: 'seccomp' }]);
    expect(events.filter((e) => e.syscall === 'sync')).toMatchObject([
      { decision: 'deny', layer: 'broker', errno: 30 },
    ]);
    // An allow decision is counted, not audited.
    expect(events.some((e) => e.syscall === 'getppid')).toBe(false);
  });

  it('kills for SCMP_ACT_KILL_PROCESS and SCMP_ACT_KILL, counting a violation each', async () => {
    for (const call of ['getgid', 'getegid']) {
      const before = metrics();
      const result = await run(box, {
        profile: profile(true),
        command: [join(BIN, 'calls'), 'getpid', call, 'getpid'],
      });
      const after = metrics();
      expect(result.end.signal).toBe(SIGKILL);
      expect(result.end.exitCode).toBe(128 + SIGKILL);
      expect(lines(result.stdout).has(call)).toBe(false);
      expect(decisionCount(after, call, 'kill') - decisionCount(before, call, 'kill')).toBe(1);
      expect(after.violations - before.violations).toBe(1);
      expect(after.denials.seccomp - before.denials.seccomp).toBe(1);
    }
  });

  it('leaves SCMP_ACT_TRAP to the kernel: SIGSYS, not counted', async () => {
    const before = metrics();
    const result = await run(box, { profile: profile(true), command: [join(BIN, 'calls'), 'sched_yield'] });
    const after = metrics();
    expect(result.end.signal).toBe(SIGSYS);
    expect(after.violations).toBe(before.violations);
    expect(decisionCount(after, 'sched_yield', 'trap')).toBe(0);
  });

  it('with auditing off, the kernel refuses alone and nothing is counted', async () => {
    const before = metrics();
    const result = await run(box, {
      profile: profile(false),
      command: [join(BIN, 'calls'), 'getuid', 'getpgrp', 'sync'],
    });
    const after = metrics();
    const out = lines(result.stdout);
    expect(out.get('getuid')).toBe('errno EACCES');
    expect(out.get('getpgrp')).toMatch(/^ok/);
    expect(out.get('sync')).toBe('errno EROFS'); // still brokered: NOTIFY is the broker's by definition
    expect(decisionCount(after, 'getuid', 'deny') - decisionCount(before, 'getuid', 'deny')).toBe(0);
    expect(decisionCount(after, 'getpgrp', 'log') - decisionCount(before, 'getpgrp', 'log')).toBe(0);
    expect(after.denials.seccomp).toBe(before.denials.seccomp);
  });
});
