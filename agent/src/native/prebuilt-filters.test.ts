// Prebuilt seccomp programs against the real broker addon: a file that fits
// is adopted and its programs are what the next compilation of that plan
// returns; a file of another addon build, another libseccomp or with a
// program the kernel would refuse is not used, and nothing throws.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { brokerAddon, type CompiledProgram, type NativeFilterPlan } from './broker-addon';
import { adoptPrebuiltFilters, PREBUILT_FILTERS_FORMAT, type PrebuiltFilters } from './prebuilt-filters';

const loaded = brokerAddon();
if (!loaded.ok) {
  throw new Error(loaded.reason);
}
const { addon, path: loadedPath } = loaded;

/** A small plan of its own per test, so no other test's plan is touched in the addon's process-wide cache. */
function plan(errno: number, syscalls: string[]): NativeFilterPlan {
  return {
    defaultAction: { type: 'allow' },
    architectures: ['x86_64'],
    rules: syscalls.map((syscall, i) => ({
      syscall,
      action: { type: 'errno', errno },
      args: [],
      pointer: `/syscalls/${i}`,
    })),
    audit: false,
  };
}

function fileOf(entries: CompiledProgram[], overrides: Partial<PrebuiltFilters> = {}): PrebuiltFilters {
  return {
    format: PREBUILT_FILTERS_FORMAT,
    build: entries[0].build,
    libseccomp: entries[0].libseccomp,
    programs: entries.map((c, i) => ({
      profile: `p${i}`,
      key: c.key,
      reference: c.reference.toString('base64'),
      enforcement: c.enforcement.toString('base64'),
      warnings: c.warnings,
    })),
    ...overrides,
  };
}

describe('adoptPrebuiltFilters', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zviz-prebuilt-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, content: PrebuiltFilters | string) => {
    const path = join(dir, name);
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
    return path;
  };

  it('makes the next compilation of a plan return the adopted programs', () => {
    // Two plans of different sizes: B's programs filed under A's key show that
    // compiling A afterwards returns what was adopted, not a fresh compilation.
    const a = plan(1, ['getppid']);
    const b = addon.compiledProgram(plan(2, ['getppid', 'getpgrp', 'getsid', 'getpgid']));
    const aAlone = addon.compiledProgram(plan(1, ['getppid']));
    expect(b.enforcement.length).not.toBe(aAlone.enforcement.length);

    const file = write('fits.json', fileOf([{ ...b, key: addon.compiledProgram(a).key }]));
    // A was compiled (and kept) above: adoption replaces what is kept.
    expect(adoptPrebuiltFilters(addon, file)).toEqual({ adopted: 1 });
    expect(addon.compileFilter(a).instructions).toBe(b.enforcement.length / 8);
  });

  it('uses nothing from another build of the addon, another libseccomp or another format', () => {
    const c = addon.compiledProgram(plan(3, ['getppid']));
    // The addon names itself by the build ID its ELF note carries (readelf -n).
    const note = execFileSync('readelf', ['-n', loadedPath], { encoding: 'utf8' });
    expect(note).toContain(`Build ID: ${c.build}`);
    expect(c.build).toMatch(/^[0-9a-f]{40}$/);
    const otherBuild = write('build.json', fileOf([c], { build: '00'.repeat(20) }));
    expect(adoptPrebuiltFilters(addon, otherBuild)).toEqual({
      adopted: 0,
      reason: `p0: made by broker addon build ${'00'.repeat(20)}, this is ${c.build}`,
    });
    const otherLibrary = write('lib.json', fileOf([c], { libseccomp: '0.0.1' }));
    const refused = adoptPrebuiltFilters(addon, otherLibrary);
    expect(refused.adopted).toBe(0);
    expect(refused.reason).toBe(`p0: made with libseccomp 0.0.1, this is ${c.libseccomp}`);
    const otherFormat = write('format.json', fileOf([c], { format: 0 }));
    expect(adoptPrebuiltFilters(addon, otherFormat).adopted).toBe(0);
  });

  it('refuses programs the kernel would refuse, and files that are not JSON', () => {
    const c = addon.compiledProgram(plan(4, ['getppid']));
    // A jump past the program's end.
    const jumpOut = Buffer.alloc(8);
    jumpOut.writeUInt16LE(0x15, 0); // BPF_JMP | BPF_JEQ | BPF_K
    jumpOut.writeUInt8(200, 2);
    const broken = write('broken.json', fileOf([{ ...c, enforcement: jumpOut }]));
    const result = adoptPrebuiltFilters(addon, broken);
    expect(result.adopted).toBe(0);
    expect(result.reason).toMatch(/^p0: program rejected: /);
    const short = write('short.json', fileOf([{ ...c, reference: Buffer.alloc(7) }]));
    expect(adoptPrebuiltFilters(addon, short)).toEqual({ adopted: 0, reason: 'p0: a program of 7 bytes' });
    const garbage = write('garbage.json', '{"format":');
    expect(adoptPrebuiltFilters(addon, garbage).reason).toMatch(/^.*garbage\.json: .*JSON/);
    expect(adoptPrebuiltFilters(addon, join(dir, 'absent.json')).reason).toMatch(/ENOENT/);
  });
});
