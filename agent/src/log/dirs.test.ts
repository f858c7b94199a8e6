import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { ensureDir, ensureDirSync } from './dirs';

const scratch = mkdtempSync(join(tmpdir(), 'zviz-dirs-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe.each([
  ['ensureDir', (dir: string) => ensureDir(dir)],
  ['ensureDirSync', async (dir: string) => ensureDirSync(dir)],
])('%s', (name, make) => {
  it('creates missing levels and accepts existing ones', async () => {
    const dir = join(scratch, name, 'a', 'b', 'c');
    await make(dir);
    await make(dir);
    expect(existsSync(dir)).toBe(true);
  });

  it('fails (does not hang) where a level cannot be created', async () => {
    await expect(make(`/proc/zviz-${name}-cannot-exist/x`)).rejects.toThrow(/ENOENT/);
  });

  it('fails where a file stands in the way', async () => {
    writeFileSync(join(scratch, `${name}-file`), '');
    await expect(make(join(scratch, `${name}-file`, 'x'))).rejects.toThrow(/ENOTDIR/);
  });
});
