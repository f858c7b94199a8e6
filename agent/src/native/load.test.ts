import { describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { scratchDir } from '@zviz/test-support/scratch';

import { candidatePaths, loadAddon, missingPackage, packageRoot } from './load';

describe('native addon loader', () => {
  it('finds the agent package root from inside it', () => {
    expect(packageRoot(__dirname)).toBe(join(__dirname, '..', '..'));
  });

  it('reports a missing addon with where it looked, instead of throwing', () => {
    const root = scratchDir('zviz-load-');
    const result = loadAddon('zviz_broker', root);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toContain(join(root, 'build', 'Release', 'zviz_broker.node'));
  });

  it('reports an unloadable addon with the loader error', () => {
    const root = scratchDir('zviz-load-');
    mkdirSync(join(root, 'build', 'Release'), { recursive: true });
    writeFileSync(candidatePaths('zviz_tracer', root)[0], 'not an ELF object');
    const result = loadAddon('zviz_tracer', root);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(/zviz_tracer failed to load: .*(invalid ELF header|too short)/);
  });

  it.each([
    ['libbpf.so.1', 'libbpf1'],
    ['libseccomp.so.2', 'libseccomp2'],
    ['libelf.so.1', 'libelf1'],
    ['libz.so.1', 'zlib1g'],
  ])('names the package that brings a missing %s', (library, pkg) => {
    // glibc's dlopen error for a library that is not installed.
    expect(missingPackage(`${library}: cannot open shared object file: No such file or directory`)).toBe(pkg);
  });

  it('names no package when the loader error is about something else', () => {
    expect(missingPackage('/x/zviz_tracer.node: invalid ELF header')).toBeUndefined();
    expect(missingPackage('/x/zviz_tracer.node: undefined symbol: bpf_link__destroy')).toBeUndefined();
  });
});
