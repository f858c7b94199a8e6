// Removing a test's directory without reaching through a mount below it.
// Kept apart from scratch.ts, which imports vitest: the run's global setup
// (temp-check.ts) uses this in vitest's main process, where vitest's test API
// cannot be loaded.
import { readFileSync, rmSync } from 'node:fs';

/** Mount points at or below `dir` (/proc/self/mountinfo's fifth field, octal escapes undone). */
export function mountsUnder(dir: string): string[] {
  const unescape = (path: string) =>
    path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => unescape(line.split(' ')[4] ?? ''))
    .filter((point) => point === dir || point.startsWith(`${dir}/`));
}

/**
 * Removes `dir` and what it holds. A directory with something still mounted
 * below it is left as it is and named in the error: removing through a bind
 * mount would delete what it shows (a host directory).
 */
export function removeDir(dir: string): void {
  const mounted = mountsUnder(dir);
  if (mounted.length > 0) {
    throw new Error(`not removing ${dir}: still mounted below it: ${mounted.join(', ')}`);
  }
  rmSync(dir, { recursive: true, force: true });
}
