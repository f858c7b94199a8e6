// Whether a path lies at or below a directory, by the paths' text (both
// absolute and normalised): what a container's mount plan is built from.
import { isAbsolute, relative, sep } from 'node:path';

export function within(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}
