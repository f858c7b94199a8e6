import { describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { candidatePaths, loadAddon, packageRoot } from './load';

describe('native addon loader', () => {
  it('finds the agent package root from inside it', () => {
    expect(packageRoot(__dirname)).toBe(join(__dirname, '..', '..'));
  });

  it('reports a missing addon with where it looked, instead of throwing', () => {
    const root = mkdtempSync(join(tmpdir(), 'zviz-load-'));
    const result = loadAddon('zviz_broker', root);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toContain(join(root, 'build', 'Release', 'zviz_broker.node'));
  });

  it('reports an unloadable addon with the loader error', () => {
    const root = mkdtempSync(join(tmpdir(), 'zviz-load-'));
    mkdirSync(join(root, 'build', 'Release'), { recursive: true });
    writeFileSync(candidatePaths('zviz_tracer', root)[0], 'not an ELF object');
    const result = loadAddon('zviz_tracer', root);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(/zviz_tracer failed to load: .*(invalid ELF header|too short)/);
  });
});
