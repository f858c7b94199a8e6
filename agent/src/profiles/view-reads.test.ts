// Which reads the filter lets the kernel make under an allow-list view
// (compile.ts, viewDecidesReads; docs/security.md, "Emulated opens"): only
// where the view decides every read as the broker's rules would, and only
// on a kernel with Landlock, which keeps those reads from following magic
// links out of the view. Everything else stays notified.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { requireBrokerAddon, type NativeSeccompRule } from '../native/broker-addon';
import { compileProfile, type CompiledProfile } from './compile';
import { loadProfile } from './profile';

const scratch = mkdtempSync(join(tmpdir(), 'zviz-view-reads-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const STRICT = JSON.parse(readFileSync(join(__dirname, '..', '..', 'profiles', 'strict.json'), 'utf8')) as {
  zviz: {
    filesystem: { readOnly: string[] };
    broker: Array<{ syscalls: string[]; paths?: string[]; access?: string; decision: string; errno?: string }>;
  };
};

let serial = 0;
/** strict, changed by `edit`, compiled for `workspace` on a kernel with (or without) Landlock. */
function strictWith(
  edit: (profile: typeof STRICT) => void,
  { landlockAbi = 4, workspace = '/work/project' } = {}
): CompiledProfile {
  const profile = structuredClone(STRICT);
  edit(profile);
  const path = join(scratch, `strict-${serial++}.json`);
  writeFileSync(path, JSON.stringify(profile));
  const loaded = loadProfile(path, requireBrokerAddon());
  return compileProfile('strict', loaded.expanded, workspace, { landlockAbi });
}

function openRules(compiled: CompiledProfile, syscall: string): NativeSeccompRule[] {
  return compiled.filter.rules.filter((r) => r.syscall === syscall);
}

/** What the filter does with `flags` for `syscall`: the action of the rule whose masked comparison matches. */
function filterAction(compiled: CompiledProfile, syscall: string, flags: number): string[] {
  return openRules(compiled, syscall)
    .filter((r) =>
      r.args.every((a) => a.op === 'SCMP_CMP_MASKED_EQ' && (flags & Number(a.value)) === Number(a.valueTwo))
    )
    .map((r) => r.action.type);
}

const O_RDONLY = 0;
const O_WRONLY = 1;
const O_RDWR = 2;
const O_CREAT = 0o100;
const O_TRUNC = 0o1000;
const O_DIRECTORY = 0o200000;
const O_TMPFILE = 0o20000000 | O_DIRECTORY;
const O_PATH = 0o10000000;
const O_CLOEXEC = 0o2000000;

describe('reads decided by the allow-list view', () => {
  it('lets the kernel make strict’s reads, by the flags register, where the kernel has Landlock', () => {
    const compiled = strictWith(() => {});
    expect(compiled.reads.by).toBe('view');
    expect(compiled.viewReads).toBe(true);
    for (const syscall of ['open', 'openat']) {
      for (const flags of [O_RDONLY, O_RDONLY | O_CLOEXEC, O_DIRECTORY, O_PATH]) {
        expect(filterAction(compiled, syscall, flags), `${syscall} ${flags.toString(8)}`).toEqual(['allow']);
      }
      // Every open that writes, creates or truncates stays the broker's:
      // O_RDONLY|O_TRUNC truncates on Linux, O_RDONLY|O_CREAT creates, and an
      // access mode of 3 asks for both.
      for (const flags of [O_WRONLY, O_RDWR, 3, O_RDONLY | O_CREAT, O_RDONLY | O_TRUNC, O_TMPFILE | O_RDWR]) {
        const actions = filterAction(compiled, syscall, flags);
        expect(actions, `${syscall} ${flags.toString(8)}`).toContain('notify');
        expect(actions, `${syscall} ${flags.toString(8)}`).not.toContain('allow');
      }
    }
    // openat2 keeps its flags in memory, creat always creates: both notified, unconditionally.
    for (const syscall of ['openat2', 'creat']) {
      expect(openRules(compiled, syscall).map((r) => [r.action.type, r.args.length])).toEqual([['notify', 0]]);
    }
  });

  it('keeps notifying reads on a kernel without Landlock, and says why', () => {
    const compiled = strictWith(() => {}, { landlockAbi: 0 });
    expect(compiled.reads).toMatchObject({ by: 'broker', why: expect.stringMatching(/Landlock/) });
    expect(compiled.viewReads).toBe(false);
    expect(openRules(compiled, 'openat').map((r) => [r.action.type, r.args.length])).toEqual([['notify', 0]]);
  });

  it('keeps notifying where the view shows a path the read rules do not allow', () => {
    const compiled = strictWith((p) => p.zviz.filesystem.readOnly.push('/lib32'));
    expect(compiled.reads).toEqual({ by: 'broker', why: 'the view shows /lib32, whose reads the rules deny' });
    expect(compiled.viewReads).toBe(false);
    expect(filterAction(compiled, 'openat', O_RDONLY)).toEqual(['notify']);
  });

  it('keeps notifying where a rule refuses or logs a path inside what the view shows', () => {
    const denied = strictWith((p) =>
      p.zviz.broker.unshift({ syscalls: ['open', 'openat'], paths: ['/usr/share/keys'], decision: 'deny' })
    );
    expect(denied.reads).toEqual({
      by: 'broker',
      why: 'the view shows /usr/share/keys (in /usr), whose reads the rules deny',
    });
    const logged = strictWith((p) =>
      p.zviz.broker.unshift({ syscalls: ['openat'], access: 'read', paths: ['/tmp'], decision: 'log' })
    );
    expect(logged.reads).toEqual({ by: 'broker', why: 'the view shows /tmp, whose reads the rules log' });
    // open is judged alone: its reads are still the view's.
    expect(filterAction(logged, 'open', O_RDONLY)).toEqual(['allow']);
    expect(filterAction(logged, 'openat', O_RDONLY)).toEqual(['notify']);
    expect(logged.viewReads).toBe(true);
  });

  it('keeps notifying where a secret rule covers the workspace the view shows', () => {
    const compiled = strictWith(() => {}, { workspace: '/root/project' });
    expect(compiled.reads).toEqual({ by: 'broker', why: 'the view shows /root/project, whose reads the rules deny' });
  });

  it('keeps notifying where the rules refuse reads of objects Landlock does not check', () => {
    const compiled = strictWith((p) => {
      const reads = p.zviz.broker.find((r) => r.access === 'read');
      reads!.paths = reads!.paths!.filter((path) => path !== 'anon_inode:');
    });
    expect(compiled.reads).toEqual({
      by: 'broker',
      why: 'the rules deny reads of anon_inode:, which Landlock does not check',
    });
  });

  it('leaves host views to the rules', () => {
    const compiled = strictWith((p) => {
      (p.zviz.filesystem as { view?: string }).view = 'host';
    });
    expect(compiled.reads.by).toBe('broker');
    expect(compiled.viewReads).toBe(false);
  });
});
