// `zviz profile check` on a corpus of broken profiles: each gets its own
// `<file>: <JSON pointer>: <reason>` line and a non-zero exit; the built-in
// and the Docker/Podman profiles pass.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { requireBrokerAddon } from '../../native/broker-addon';
import { loadProfile } from '../../profiles/profile';
import { checkProfile } from './profile';

const scratch = mkdtempSync(join(tmpdir(), 'zviz-profile-check-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let serial = 0;

function scratchProfile(profile: unknown): string {
  const path = join(scratch, `profile-${serial++}.json`);
  writeFileSync(path, JSON.stringify(profile));
  return path;
}

const FIXTURES = join(__dirname, '..', '..', '..', 'test', 'fixtures');
const BROKEN = join(FIXTURES, 'broken-profiles');
const expected = JSON.parse(readFileSync(join(BROKEN, 'expected.json'), 'utf8')) as Record<
  string,
  { pointer: string; reason: string }
>;

function check(reference: string): { code: number; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const code = checkProfile(reference, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

describe('zviz profile check', () => {
  for (const [file, { pointer, reason }] of Object.entries(expected)) {
    it(`explains ${file}: ${pointer || '(root)'}`, () => {
      const path = join(BROKEN, file);
      const { code, out, err } = check(path);
      expect(code).toBe(1);
      expect(out).toEqual([]);
      const line = err.find((l) => l.startsWith(`${path}: ${pointer || '(root)'}: `));
      expect(line, err.join('\n')).toBeDefined();
      expect(line).toContain(reason);
      expect(err[err.length - 1]).toMatch(/problems?; the profile cannot be used$/);
    });
  }

  for (const name of ['default', 'ci-runner', 'strict', 'observe']) {
    it(`accepts the built-in ${name}`, () => {
      const { code, out } = check(name);
      expect(code).toBe(0);
      expect(out[0]).toMatch(new RegExp(`/profiles/${name}\\.json: ok: \\d+ BPF instructions`));
    });
  }

  for (const file of ['docker-default-seccomp.json', 'podman-default-seccomp.json']) {
    it(`accepts ${file} as it is`, () => {
      const { code, out, err } = check(join(FIXTURES, file));
      expect(err).toEqual([]);
      expect(code).toBe(0);
      expect(out[0]).toContain('x86_64/x86/x32');
    });
  }

  it('refuses more names in a rule than Linux has syscalls many times over, without checking each', () => {
    const path = scratchProfile({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: Array(50_000).fill('getppid'), action: 'SCMP_ACT_ERRNO' }],
    });
    const { code, err } = check(path);
    expect(code).toBe(1);
    expect(err).toEqual([
      `${path}: /syscalls/0/names: must have at most 4096 items`,
      '1 problem; the profile cannot be used',
    ]);
  });

  it("warns that an empty /run of a host view hides the node's resolver file, unless /etc/resolv.conf is kept", () => {
    const hiding = scratchProfile({
      defaultAction: 'SCMP_ACT_ALLOW',
      zviz: { filesystem: { readOnly: ['/'], tmpfs: ['/tmp', '/run'] } },
    });
    const { code, err } = check(hiding);
    expect(code).toBe(0);
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(
      new RegExp(
        `^warning: ${hiding}: /zviz/filesystem/tmpfs/1: an empty /run hides the node's resolver file.*list "/etc/resolv.conf" under readOnly`
      )
    );
    const keeping = scratchProfile({
      defaultAction: 'SCMP_ACT_ALLOW',
      zviz: { filesystem: { readOnly: ['/', '/etc/resolv.conf'], tmpfs: ['/tmp', '/run'] } },
    });
    expect(check(keeping).err).toEqual([]);
  });

  it('takes repeated names once: one warning with the count, one rule in the filter', () => {
    const profile = {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [
        { names: Array(4096).fill('getppid'), action: 'SCMP_ACT_ERRNO' },
        ...Array.from({ length: 4095 }, () => ({ names: ['getppid'], action: 'SCMP_ACT_ERRNO' })),
      ],
    };
    const path = scratchProfile(profile);
    const { code, err } = check(path);
    expect(code).toBe(0);
    expect(err).toEqual([`warning: ${path}: /syscalls/0/names/1: "getppid" is listed 4096 times in this rule`]);
    const loaded = loadProfile(path, requireBrokerAddon());
    expect(loaded.forWorkspace('/').filter.rules.filter((r) => r.syscall === 'getppid')).toHaveLength(1);
  });

  it('accepts broker rules that let some programs run and refuse every other execve', () => {
    const path = scratchProfile({
      defaultAction: 'SCMP_ACT_ALLOW',
      zviz: {
        broker: [
          { syscalls: ['execve', 'execveat'], paths: ['/usr/bin', '/bin'], decision: 'log' },
          { syscalls: ['execve', 'execveat'], decision: 'deny', errno: 'EACCES' },
        ],
      },
    });
    const { code, err } = check(path);
    expect(err).toEqual([]);
    expect(code).toBe(0);
  });

  it('refuses clone3 with ENOSYS in every filter, also where the rules allow it (CLONE_INTO_CGROUP)', () => {
    for (const syscalls of [[], [{ names: ['clone3'], action: 'SCMP_ACT_ALLOW' }]]) {
      const path = scratchProfile({ defaultAction: 'SCMP_ACT_ALLOW', syscalls });
      const { code, err } = check(path);
      expect(err).toEqual([]);
      expect(code).toBe(0);
      const rules = loadProfile(path, requireBrokerAddon()).forWorkspace('/').filter.rules;
      expect(rules.filter((r) => r.syscall === 'clone3').map((r) => r.action)).toEqual([{ type: 'errno', errno: 38 }]);
    }
  });

  it('refuses a broker rule on clone3', () => {
    const path = scratchProfile({
      defaultAction: 'SCMP_ACT_ALLOW',
      zviz: { broker: [{ syscalls: ['clone3'], decision: 'log' }] },
    });
    const { code, err } = check(path);
    expect(code).toBe(1);
    expect(err.join('\n')).toContain('/zviz/broker: clone3 cannot be brokered');
  });

  it("refuses fcntl's F_SETLEASE in every filter where fcntl is allowed, and no rule without conditions is left to override that", () => {
    const lease = {
      syscall: 'fcntl',
      action: { type: 'errno', errno: 22 },
      args: [
        { index: 1, op: 'SCMP_CMP_MASKED_EQ', value: '4294967295', valueTwo: '1024' },
        { index: 2, op: 'SCMP_CMP_NE', value: '2' },
      ],
    };
    const start = { names: ['execve', 'read', 'write', 'exit', 'exit_group'], action: 'SCMP_ACT_ALLOW' };
    const cases = [
      { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [] },
      { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [start, { names: ['fcntl', 'dup'], action: 'SCMP_ACT_ALLOW' }] },
      { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [start, { names: ['fcntl'], action: 'SCMP_ACT_LOG' }] },
    ];
    for (const profile of cases) {
      const path = scratchProfile(profile);
      const { code, err } = check(path);
      expect(err).toEqual([]);
      expect(code).toBe(0);
      const plan = loadProfile(path, requireBrokerAddon()).forWorkspace('/').filter;
      const fcntl = plan.rules.filter((r) => r.syscall === 'fcntl');
      expect(fcntl.map(({ pointer: _, ...rule }) => rule)).toContainEqual(lease);
      expect(fcntl.filter((r) => r.args.length === 0)).toEqual([]);
      // The other commands keep the profile's action (33 rules: one per bit, and F_UNLCK).
      const allowed = fcntl.filter((r) => r.action.type !== 'errno');
      expect(allowed.length, JSON.stringify(profile)).toBe(33);
      expect(requireBrokerAddon().compileFilter(plan).ok).toBe(true);
    }
    // Refused outright: nothing to add.
    const refusing = scratchProfile({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [start] });
    const plan = loadProfile(refusing, requireBrokerAddon()).forWorkspace('/').filter;
    expect(plan.rules.filter((r) => r.syscall === 'fcntl')).toEqual([]);
  });

  it("refuses ioctl's TIOCSETD in every filter where ioctl is allowed, and no rule without conditions is left to override that", () => {
    const lineDiscipline = {
      syscall: 'ioctl',
      action: { type: 'errno', errno: 1 },
      args: [{ index: 1, op: 'SCMP_CMP_MASKED_EQ', value: '4294967295', valueTwo: String(0x5423) }],
    };
    const start = { names: ['execve', 'read', 'write', 'exit', 'exit_group'], action: 'SCMP_ACT_ALLOW' };
    const cases = [
      { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [] },
      { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [start, { names: ['ioctl', 'dup'], action: 'SCMP_ACT_ALLOW' }] },
    ];
    for (const profile of cases) {
      const path = scratchProfile(profile);
      const { code, err } = check(path);
      expect(err).toEqual([]);
      expect(code).toBe(0);
      const plan = loadProfile(path, requireBrokerAddon()).forWorkspace('/').filter;
      const ioctl = plan.rules.filter((r) => r.syscall === 'ioctl');
      expect(ioctl.map(({ pointer: _, ...rule }) => rule)).toContainEqual(lineDiscipline);
      expect(ioctl.filter((r) => r.args.length === 0)).toEqual([]);
      // Every other request keeps the profile's action: one rule per bit of the request.
      expect(ioctl.filter((r) => r.action.type !== 'errno').length, JSON.stringify(profile)).toBe(32);
      expect(requireBrokerAddon().compileFilter(plan).ok).toBe(true);
    }
    const conditional = scratchProfile({
      defaultAction: 'SCMP_ACT_ERRNO',
      syscalls: [
        { names: ['ioctl'], action: 'SCMP_ACT_ALLOW', args: [{ index: 1, value: 0x5412, op: 'SCMP_CMP_NE' }] },
        start,
      ],
    });
    const refused = check(conditional);
    expect(refused.code).toBe(1);
    expect(refused.err.join('\n')).toContain('/syscalls/0/names/0: ioctl cannot have argument rules');
  });

  it('refuses prlimit64 with a new limit for another process in every filter where it is allowed, and no rule without conditions is left to override that', () => {
    const strip = ({ pointer: _, ...rule }: { pointer?: string; syscall: string }) => rule;
    const start = { names: ['execve', 'read', 'write', 'exit', 'exit_group'], action: 'SCMP_ACT_ALLOW' };
    const cases = [
      { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [] },
      { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [start, { names: ['prlimit64', 'dup'], action: 'SCMP_ACT_ALLOW' }] },
    ];
    for (const profile of cases) {
      const path = scratchProfile(profile);
      const { code, err } = check(path);
      expect(err).toEqual([]);
      expect(code).toBe(0);
      const plan = loadProfile(path, requireBrokerAddon()).forWorkspace('/').filter;
      const prlimit = plan.rules.filter((r) => r.syscall === 'prlimit64').map(strip);
      expect(prlimit, JSON.stringify(profile)).toEqual([
        { syscall: 'prlimit64', action: { type: 'allow' }, args: [{ index: 0, op: 'SCMP_CMP_EQ', value: '0' }] },
        {
          syscall: 'prlimit64',
          action: { type: 'allow' },
          args: [
            { index: 0, op: 'SCMP_CMP_NE', value: '0' },
            { index: 2, op: 'SCMP_CMP_EQ', value: '0' },
          ],
        },
        {
          syscall: 'prlimit64',
          action: { type: 'errno', errno: 1 },
          args: [
            { index: 0, op: 'SCMP_CMP_NE', value: '0' },
            { index: 2, op: 'SCMP_CMP_NE', value: '0' },
          ],
        },
      ]);
      expect(requireBrokerAddon().compileFilter(plan).ok).toBe(true);
    }
    const refusing = scratchProfile({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [start] });
    expect(
      loadProfile(refusing, requireBrokerAddon())
        .forWorkspace('/')
        .filter.rules.filter((r) => r.syscall === 'prlimit64')
    ).toEqual([]);
    const conditional = scratchProfile({
      defaultAction: 'SCMP_ACT_ERRNO',
      syscalls: [
        { names: ['prlimit64'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0, op: 'SCMP_CMP_EQ' }] },
        start,
      ],
    });
    const refused = check(conditional);
    expect(refused.code).toBe(1);
    expect(refused.err.join('\n')).toContain('/syscalls/0/names/0: prlimit64 cannot have argument rules');
  });

  it('refuses unshare and clone with CLONE_NEWCGROUP in every filter where they are allowed without conditions', () => {
    const strip = ({ pointer: _, ...rule }: { pointer?: string; syscall: string }) => rule;
    const start = { names: ['execve', 'read', 'write', 'exit', 'exit_group'], action: 'SCMP_ACT_ALLOW' };
    const newCgroup = (value: string) => ({ index: 0, op: 'SCMP_CMP_MASKED_EQ', value: '33554432', valueTwo: value });
    const cases = [
      { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [] },
      { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [start, { names: ['unshare', 'clone'], action: 'SCMP_ACT_ALLOW' }] },
    ];
    for (const profile of cases) {
      const plan = loadProfile(scratchProfile(profile), requireBrokerAddon()).forWorkspace('/').filter;
      for (const syscall of ['unshare', 'clone']) {
        expect(plan.rules.filter((r) => r.syscall === syscall).map(strip), JSON.stringify(profile)).toEqual([
          { syscall, action: { type: 'errno', errno: 1 }, args: [newCgroup('33554432')] },
          { syscall, action: { type: 'allow' }, args: [newCgroup('0')] },
        ]);
      }
      expect(requireBrokerAddon().compileFilter(plan).ok).toBe(true);
    }
    // Refused anyway, or decided by the profile's own conditions (Docker's clone rule refuses every namespace flag).
    const own = loadProfile(
      scratchProfile({
        defaultAction: 'SCMP_ACT_ERRNO',
        syscalls: [
          start,
          {
            names: ['clone'],
            action: 'SCMP_ACT_ALLOW',
            args: [{ index: 0, value: 2114060288, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
          },
        ],
      }),
      requireBrokerAddon()
    ).forWorkspace('/').filter;
    expect(own.rules.filter((r) => r.syscall === 'unshare')).toEqual([]);
    expect(own.rules.filter((r) => r.syscall === 'clone').map(strip)).toEqual([
      {
        syscall: 'clone',
        action: { type: 'allow' },
        args: [{ index: 0, op: 'SCMP_CMP_MASKED_EQ', value: '2114060288', valueTwo: '0' }],
      },
    ]);
  });

  it('refuses argument rules and broker rules on fcntl, which would overlap the lease rules', () => {
    const conditional = scratchProfile({
      defaultAction: 'SCMP_ACT_ERRNO',
      syscalls: [
        { names: ['fcntl'], action: 'SCMP_ACT_ALLOW', args: [{ index: 1, value: 1024, op: 'SCMP_CMP_EQ' }] },
        { names: ['execve', 'read', 'write', 'exit', 'exit_group'], action: 'SCMP_ACT_ALLOW' },
      ],
    });
    const first = check(conditional);
    expect(first.code).toBe(1);
    expect(first.err.join('\n')).toContain('/syscalls/0/names/0: fcntl cannot have argument rules');
    const brokered = scratchProfile({
      defaultAction: 'SCMP_ACT_ALLOW',
      zviz: { broker: [{ syscalls: ['fcntl'], decision: 'log' }] },
    });
    const second = check(brokered);
    expect(second.code).toBe(1);
    expect(second.err.join('\n')).toContain('/zviz/broker: fcntl cannot be brokered');
  });

  it('names an unknown built-in and lists the real ones', () => {
    const { code, err } = check('no-such-profile');
    expect(code).toBe(1);
    expect(err[0]).toContain('unknown profile "no-such-profile"');
    expect(err[0]).toContain('ci-runner');
  });
});
