// Whether a path lies at or below a directory, by the paths' text (both
// absolute and normalised): what a container's mount plan is built from.
//
// Compared as text, not through path.relative: a start asks this about fifty
// times (the agent's files against every step of the plan, agent-files.ts),
// in code V8 has not optimised yet, where relative()'s two resolves cost
// 3 to 15 us a call and the first about 0.4 ms (docs/benchmarks.md, "zviz run
// start-up"). A path that is not already absolute and normalised is resolved
// first, as relative() would.
import { resolve } from 'node:path';

/** Absolute, no empty, `.` or `..` segment, no trailing slash (but `/` itself). */
const NORMALISED = /^(?:\/(?!\.{1,2}(?:\/|$))[^/]+)+$/;

function normalised(path: string): string {
  return path === '/' || NORMALISED.test(path) ? path : resolve(path);
}

export function within(path: string, dir: string): boolean {
  const p = normalised(path);
  const d = normalised(dir);
  return p === d || d === '/' || (p.startsWith(d) && p.charCodeAt(d.length) === 0x2f);
}
