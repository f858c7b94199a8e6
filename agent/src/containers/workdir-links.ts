// The working directory is the workspace: the view binds it by its path
// (writable wherever a profile writes `${workspace}`), and that mount, like the
// chdir into it, follows every symbolic link on the way. A link there is
// one a container may have made: a CI job whose workspace lies above the
// next job's, a configured container's `workdir` inside another's. It
// replaced the later run's directory with a link to one outside, and the
// later run's view bound that directory writable in its place
// (test/security/workspace-links.test.ts). This check names the link; a link
// swapped in after it is met by the view itself, which binds the workspace
// following no link (agent/native/src/spawn/mount_calls.cc).
import { lstatSync, readlinkSync, type Stats } from 'node:fs';
import { normalize } from 'node:path';

/** The first component of `dir` (absolute) that is a symbolic link, and where it points; undefined when none is. */
export function linkOnTheWay(dir: string): { at: string; target: string } | undefined {
  let at = '';
  for (const name of normalize(dir)
    .split('/')
    .filter((part) => part !== '')) {
    at = `${at}/${name}`;
    let info: Stats;
    try {
      info = lstatSync(at);
    } catch {
      return undefined; // missing: the start fails on its own, saying so
    }
    if (info.isSymbolicLink()) {
      let target = '?';
      try {
        target = readlinkSync(at);
      } catch {
        // gone meanwhile: still no directory to bind
      }
      return { at, target };
    }
  }
  return undefined;
}

/** Why `cwd` cannot be a container's working directory, or undefined. */
export function workdirProblem(cwd: string): string | undefined {
  const link = linkOnTheWay(cwd);
  if (!link) {
    return undefined;
  }
  return (
    `working directory ${cwd}: ${link.at} is a symbolic link (to ${link.target}); the workspace is bound ` +
    `into the view by its path, and a link on the way, which a container writing the directory above may ` +
    `have made, would bind the directory it names instead: give the real path`
  );
}
