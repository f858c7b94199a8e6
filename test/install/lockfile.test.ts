// The README's commands must leave a fresh clone's tracked files as they were.
// npm rewrites package-lock.json whenever it is incomplete for the registry it
// talks to (optional packages of other platforms, say), so the lockfile must
// already be what npm would write, and setup.sh must install with `npm ci`,
// which refuses to change it.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const repo = join(__dirname, '..', '..');

function workspaces(): string[] {
  return (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { workspaces: string[] }).workspaces;
}

describe('package-lock.json', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'zviz-lockfile-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('is what npm itself resolves from the package.json files, byte for byte', () => {
    for (const file of ['package.json', 'package-lock.json', ...workspaces().map((w) => join(w, 'package.json'))]) {
      mkdirSync(join(scratch, file, '..'), { recursive: true });
      copyFileSync(join(repo, file), join(scratch, file));
    }
    execFileSync(
      'npm',
      ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'],
      {
        cwd: scratch,
        stdio: ['ignore', 'ignore', 'pipe'],
      }
    );
    const before = readFileSync(join(repo, 'package-lock.json'), 'utf8');
    const after = readFileSync(join(scratch, 'package-lock.json'), 'utf8');
    const added = after.split('\n').filter((line) => !before.includes(line));
    expect(
      added.slice(0, 20),
      'npm would rewrite package-lock.json; run `npm install` and commit the lockfile'
    ).toEqual([]);
    expect(after).toBe(before);
  });

  it('is installed by setup.sh with npm ci, which never rewrites it', () => {
    const setup = readFileSync(join(repo, 'scripts', 'setup.sh'), 'utf8');
    const installs = setup.split('\n').filter((line) => /^\s*npm (ci|install|i)\b/.test(line));
    expect(installs.length).toBeGreaterThan(0);
    for (const line of installs) {
      expect(line.trim()).toMatch(/^npm ci\b/);
    }
  });
});
