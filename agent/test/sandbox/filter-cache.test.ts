// The broker keeps each compiled seccomp program, keyed by the whole filter
// plan (agent/native/src/broker/filter.cc), so a thousand containers of one
// profile compile it once. A key that missed part of the plan would hand a
// container another profile's program: here profiles that differ in one
// detail each (an errno, an action, an argument's value, the default action,
// denial auditing) run one after another in the same process, in an order
// that puts each behind the one it could be mistaken for, and every workload
// must meet its own profile's answer on the real kernel.
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { describeWhere, root, seccompUserNotif } from '@zviz/test-support/requirements';
import { BIN, buildWorkloads, decisionCount, lines, metrics, profileFrom, run, sandbox, type Sandbox } from './harness';

/** getpriority(which, 0) with `which` from the command line; prints "getpriority ok N" or "getpriority errno N". */
const GETPRIORITY = [
  '/usr/bin/perl',
  '-e',
  '$! = 0; my $r = syscall(140, $ARGV[0] + 0, 0); print "getpriority ", ($r < 0 ? "errno " . ($! + 0) : "ok $r"), "\\n"',
];

const base = (syscalls: object[], extra: object = {}) => ({
  defaultAction: 'SCMP_ACT_ALLOW',
  syscalls,
  zviz: { defaultDecision: 'allow' },
  ...extra,
});

describeWhere([root, seccompUserNotif], 'compiled filters kept per plan', () => {
  let box: Sandbox;
  beforeAll(() => {
    buildWorkloads();
    box = sandbox('filter-cache');
  });
  afterAll(() => box.close());

  it('gives each profile its own program when profiles differ in one errno, action or default action', async () => {
    const variants: Array<{ profile: object; getuid: RegExp; geteuid: RegExp }> = [
      {
        profile: base([{ names: ['getuid'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }]),
        getuid: /^errno EACCES$/,
        geteuid: /^ok \d+$/,
      },
      {
        profile: base([{ names: ['getuid'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }]),
        getuid: /^errno EPERM$/,
        geteuid: /^ok \d+$/,
      },
      {
        profile: base([{ names: ['getuid'], action: 'SCMP_ACT_LOG' }]),
        getuid: /^ok \d+$/,
        geteuid: /^ok \d+$/,
      },
      {
        profile: base([{ names: ['geteuid'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }]),
        getuid: /^ok \d+$/,
        geteuid: /^errno EACCES$/,
      },
      {
        profile: {
          ...base([
            { names: ['getuid'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 },
            { names: ['geteuid', 'read', 'exit', 'write', 'exit_group'], action: 'SCMP_ACT_ALLOW' },
          ]),
          defaultAction: 'SCMP_ACT_LOG',
        },
        getuid: /^errno EACCES$/,
        geteuid: /^ok \d+$/,
      },
    ];
    // Twice through, so every variant also runs right after each of its neighbours was compiled.
    for (const v of [...variants, ...variants.slice().reverse()]) {
      const result = await run(box, {
        profile: profileFrom(v.profile),
        command: [join(BIN, 'calls'), 'getuid', 'geteuid'],
      });
      const out = lines(result.stdout);
      expect(out.get('getuid'), JSON.stringify(v.profile)).toMatch(v.getuid);
      expect(out.get('geteuid'), JSON.stringify(v.profile)).toMatch(v.geteuid);
    }
  });

  it("gives each profile its own program when profiles differ only in an argument's value", async () => {
    const onlyWhich = (which: number) =>
      profileFrom(
        base([
          {
            names: ['getpriority'],
            action: 'SCMP_ACT_ERRNO',
            errnoRet: 13,
            args: [{ index: 0, value: which, op: 'SCMP_CMP_EQ' }],
          },
        ])
      );
    for (const [refused, asked, expected] of [
      [0, 0, /^errno 13$/],
      [1, 0, /^ok \d+$/],
      [0, 0, /^errno 13$/],
      [1, 1, /^errno 13$/],
    ] as const) {
      const result = await run(box, { profile: onlyWhich(refused), command: [...GETPRIORITY, String(asked)] });
      expect(lines(result.stdout).get('getpriority'), `refusing which=${refused}, asking ${asked}`).toMatch(expected);
    }
  });

  it('gives each profile its own program when profiles differ only in denial auditing', async () => {
    const audited = (audit: boolean) =>
      profileFrom(
        base([{ names: ['getuid'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }], {
          zviz: { defaultDecision: 'allow', audit },
        })
      );
    for (const audit of [true, false, true, false]) {
      const before = metrics();
      const result = await run(box, { profile: audited(audit), command: [join(BIN, 'calls'), 'getuid'] });
      expect(lines(result.stdout).get('getuid')).toBe('errno EACCES');
      // Audited, the broker answers the denial and counts it; not audited, the kernel answers alone.
      const counted = decisionCount(metrics(), 'getuid', 'deny') - decisionCount(before, 'getuid', 'deny');
      expect(counted, `audit ${audit}`).toBe(audit ? 1 : 0);
    }
  });
});
