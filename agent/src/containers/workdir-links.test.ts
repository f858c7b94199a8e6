import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { linkOnTheWay, workdirProblem } from './workdir-links';

describe('workdirProblem', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'zviz-workdir-'));
    mkdirSync(join(dir, 'real', 'deeper'), { recursive: true });
    mkdirSync(join(dir, 'outside'));
    symlinkSync(join(dir, 'outside'), join(dir, 'real', 'job'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('accepts a real path, the root, and a path that does not exist', () => {
    expect(workdirProblem(join(dir, 'real', 'deeper'))).toBeUndefined();
    expect(workdirProblem('/')).toBeUndefined();
    expect(workdirProblem(join(dir, 'missing', 'x'))).toBeUndefined();
  });

  it('names the link on the way and where it points', () => {
    expect(linkOnTheWay(join(dir, 'real', 'job', 'sub'))).toEqual({
      at: join(dir, 'real', 'job'),
      target: join(dir, 'outside'),
    });
    expect(workdirProblem(join(dir, 'real', 'job'))).toContain(
      `${join(dir, 'real', 'job')} is a symbolic link (to ${join(dir, 'outside')})`
    );
  });
});
