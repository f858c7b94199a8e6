// docs/security.md answers every claim with the test that tries to break it.
// A claim whose test was renamed or moved reads as proven and is not; an
// attack test missing from the table is a boundary nobody can find. Both
// are checked against the tracked files, so a rename fails here first.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';

const repo = join(__dirname, '..', '..');
const doc = readFileSync(join(repo, 'docs', 'security.md'), 'utf8');

const TEST_NAME = /[A-Za-z0-9_./-]*\.test\.ts/g;

function trackedFiles(): string[] {
  return execFileSync('git', ['ls-files', '-z'], { cwd: repo, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
    .split('\0')
    .filter(Boolean);
}

/** Whether a name a document gives (a path from the repository's root or from a package's, or a file's own name) is a tracked test. */
function namesTrackedTest(name: string, tracked: string[]): boolean {
  return tracked.some((file) => file === name || file.endsWith(`/${name}`));
}

/** The rows of the attack table: between its heading and the next heading, header and rule rows left out. */
function attackRows(text: string): string[] {
  const start = text.indexOf('\n## Attack classes and their tests');
  const end = text.indexOf('\n#', start + 1);
  return text
    .slice(start, end)
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .slice(2);
}

describe('the docs name tests that exist', () => {
  const tracked = trackedFiles();

  it('every test it names is a tracked file', () => {
    const named = [...new Set(doc.match(TEST_NAME) ?? [])];
    expect(named.length).toBeGreaterThan(50);
    expect(named.filter((name) => !namesTrackedTest(name, tracked))).toEqual([]);
  });

  it('so does every other document', () => {
    const documents = tracked.filter((file) => /^docs\/[^/]+\.md$/.test(file) || file === 'README.md');
    const missing = documents.flatMap((file) =>
      [...new Set(readFileSync(join(repo, file), 'utf8').match(TEST_NAME) ?? [])]
        .filter((name) => !namesTrackedTest(name, tracked))
        .map((name) => `${file}: ${name}`)
    );
    expect(missing).toEqual([]);
  });

  it('every row of the attack table names a test of its own', () => {
    const rows = attackRows(doc);
    expect(rows.length).toBeGreaterThan(50);
    const withoutTest = rows
      .map((row) => row.split(' | ')[1] ?? '')
      .map((cell, i) => ({ row: rows[i].slice(0, 100), tests: cell.match(TEST_NAME) ?? [] }))
      .filter(({ tests }) => !tests.some((name) => namesTrackedTest(name, tracked)))
      .map(({ row }) => row);
    expect(withoutTest).toEqual([]);
  });

  it('every attack test of test/security is in the document', () => {
    const attackTests = tracked.filter((file) => /^test\/security\/[^/]+\.test\.ts$/.test(file));
    expect(attackTests.length).toBeGreaterThan(50);
    expect(attackTests.filter((file) => !doc.includes(basename(file)))).toEqual([]);
  });
});
