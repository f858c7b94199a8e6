// Scratch directories of the tests, removed when they are done with them: a
// directory made inside a test goes when that test ends, one made at a file's
// top level, in a describe block or in a hook goes when the file's tests end
// (scratch-teardown.ts, a setup file of every vitest runner). Every runner
// also checks that its tests left nothing in the temporary directory
// (temp-check.ts), so a maker that does not use this helper and forgets to
// clean up is caught too.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';

import { removeDir } from './remove-dir';

const made = new Set<string>();

/** A new directory `<parent>/<prefix>XXXXXX`, removed when the test (or outside a test, the file) is done. */
export function scratchDir(prefix: string, parent: string = tmpdir()): string {
  const dir = mkdtempSync(join(parent, prefix));
  made.add(dir);
  try {
    onTestFinished(() => {
      made.delete(dir);
      removeDir(dir);
    });
  } catch {
    // Not inside a test: removeScratchDirs takes it when the file's tests end.
  }
  return dir;
}

/**
 * A new directory `<parent>/<prefix>XXXXXX` kept until the file's tests end,
 * wherever it is made: a tree a suite shares across tests. Removed then
 * however the file's hooks ended (a beforeAll that timed out, an afterAll
 * that threw before its own cleanup). Under test/run-all.mjs its name carries
 * the runner's tag (ZVIZ_RUN_TAG), by which the runner tells its own leftovers
 * outside its temporary directory from another run's.
 */
export function fileScratchDir(prefix: string, parent: string = tmpdir()): string {
  const tag = process.env.ZVIZ_RUN_TAG;
  const dir = mkdtempSync(join(parent, tag ? `${prefix}${tag}-` : prefix));
  made.add(dir);
  return dir;
}

/** Removes every scratch directory still there; the error names the ones it could not remove. */
export function removeScratchDirs(): void {
  const problems: string[] = [];
  for (const dir of made) {
    try {
      removeDir(dir);
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  made.clear();
  if (problems.length > 0) {
    throw new Error(problems.join('\n'));
  }
}
