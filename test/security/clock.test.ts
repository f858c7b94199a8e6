// Attack class: the node's clock (attacks/clock.c), which no namespace holds:
// stepping, slewing and re-rating it, its status flags, the hardware clock,
// the time namespace's offsets, and (where user namespaces are allowed) a
// time namespace of the workload's own. Each refusal is the kernel's or the
// filter's; the test then compares the node's own clock before and after:
// its wall clock against its monotonic clock, and the kernel's frequency,
// tick and status (adjtimex, read on the bare host).
import { expect, it } from 'vitest';

import { attackSuite, byProfile, matrix, outcomeOf, outcomes, type AttackRun } from './harness';

const CLOCK_CALLS = [
  'clock-settime',
  'settimeofday',
  ...['adjtimex', 'clock-adjtime'].flatMap((p) =>
    ['setoffset', 'offset', 'frequency', 'tick', 'status'].map((c) => `${p}-${c}`)
  ),
  'unshare-timens',
];

const READS = ['adjtimex-read', 'clock-adjtime-read', 'adjtimex-ss-read', 'adjtimex-ss-read-frequency'];

function expected(profile: string): Record<string, string> {
  // Every filter lets adjtimex and clock_adjtime through, as Docker's does: the
  // filter sees only the struct's address, and the kernel judges the copy it
  // made itself. Reads need nothing; every change needs CAP_SYS_TIME in the
  // node's user namespace, which a workload in a namespace of its own never
  // has (docs/security.md, "The node's clock").
  const kernel = (offsets: string) => ({
    ...Object.fromEntries(READS.map((c) => [c, 'ok'])),
    ...Object.fromEntries(CLOCK_CALLS.map((c) => [c, 'errno EPERM'])),
    'clock-settime': 'errno ENOSYS',
    settimeofday: 'errno ENOSYS',
    'unshare-timens': 'errno ENOSYS',
    'timens-offsets': offsets,
  });
  return byProfile(profile, {
    strict: kernel('errno EACCES'), // the broker refuses the open for writing
    'ci-runner': kernel('errno EACCES'),
    default: kernel('errno EPERM'), // the kernel: no CAP_SYS_ADMIN over the node's time namespace
    observe: {
      ...Object.fromEntries(READS.map((c) => [c, 'ok'])),
      // The kernel: no CAP_SYS_TIME (CAP_SYS_ADMIN for a time namespace) in the node's user namespace.
      ...Object.fromEntries(CLOCK_CALLS.map((c) => [c, 'errno EPERM'])),
      'timens-offsets': 'errno EPERM',
    },
  });
}

/** The node's wall clock less its monotonic clock, in ms: a step of the wall clock moves it. */
function wallOffsetMs(): number {
  return Date.now() - Number(process.hrtime.bigint() / 1_000_000n);
}

attackSuite('attack: the node clock', (suite) => {
  async function attack(profile: string, mode: 'standalone' | 'agent', args: string[] = []): Promise<AttackRun> {
    const stateBefore = suite.runBare('clock', ['report']).stdout.trim();
    expect(stateBefore).toMatch(/^state -?\d+ \d+ \d+$/);
    const offsetBefore = wallOffsetMs();
    const run = await suite.run({ profile, mode, program: 'clock', args });
    expect(outcomeOf(run, 'finished')).toBe('ok');
    // A step of a quarter second is what each attempt asked for.
    expect(Math.abs(wallOffsetMs() - offsetBefore), 'the node wall clock moved').toBeLessThan(100);
    expect(suite.runBare('clock', ['report']).stdout.trim(), 'the node clock state changed').toBe(stateBefore);
    await suite.expectContained(run, { outsideUnchanged: true });
    return run;
  }

  it.each(matrix())('%s (%s): the node clock keeps its time, rate and state', async (profile, mode) => {
    const run = await attack(profile, mode);
    const detail = `${run.stdout}\n${run.stderr}`;
    expect(outcomes(run, [...READS, ...CLOCK_CALLS, 'timens-offsets']), detail).toEqual(expected(profile));
    // No hardware clock in the view, or the device list refuses it; where a host shows one, setting it needs CAP_SYS_TIME.
    expect(outcomeOf(run, 'rtc-open'), detail).toMatch(/^(errno ENOENT|errno EPERM|ok)$/);
    if (outcomeOf(run, 'rtc-open') === 'ok') {
      expect(outcomeOf(run, 'rtc-set'), detail).toBe('errno EPERM');
    }
  });

  it.each(matrix())('%s (%s): a time namespace of its own moves only its own clocks', async (profile, mode) => {
    const run = await attack(profile, mode, ['nested']);
    const detail = `${run.stdout}\n${run.stderr}`;
    const nested = outcomeOf(run, 'nested-timens');
    if (profile === 'observe') {
      // observe allows user namespaces: the offset is its namespace's, not the node's (checked above).
      expect(nested, detail).toMatch(/^ok 360[01]$/);
    } else {
      expect(nested, detail).toBe(
        byProfile(profile, { strict: 'errno ENOSYS', 'ci-runner': 'errno ENOSYS', default: 'errno ENOSYS' })
      );
    }
  });
});
