// Opens a file for appending, as root, without following a symbolic link
// anywhere on its path. For files whose directory a workload may write: a
// configured container's output in its own workspace, which the agent
// opens again at its next start. The workload is root too, so owner checks
// (trusted-dir.ts) cannot tell its links from the administrator's; under
// `strict` a link it left there made the agent append the container's
// output to a file outside the view, and a directory link made it create
// one there (docs/security.md, "The agent's own files").
//
// Node has no openat: each directory is opened by the descriptor of the one
// above it, through /proc/self/fd/N/NAME, which looks NAME up in exactly
// that directory; O_NOFOLLOW then refuses a link as NAME. Nothing is
// resolved twice, so a link swapped in between two steps is refused too.
import { closeSync, constants, mkdirSync, openSync } from 'node:fs';
import { isAbsolute, normalize } from 'node:path';

import { directoryProblem, FileRefused, regularOrClosed } from './regular-file';

const DIRECTORY = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;
const APPEND =
  constants.O_WRONLY |
  constants.O_APPEND |
  constants.O_CREAT |
  constants.O_NONBLOCK |
  constants.O_NOCTTY |
  constants.O_NOFOLLOW;

function within(dirFd: number, name: string): string {
  return `/proc/self/fd/${dirFd}/${name}`;
}

function why(error: unknown, at: string, final: boolean): string {
  const code = (error as NodeJS.ErrnoException).code;
  // O_NOFOLLOW answers ELOOP for a link, and with O_DIRECTORY ENOTDIR on some kernels.
  if (code === 'ELOOP' || (code === 'ENOTDIR' && !final)) {
    return (
      `${at} is ${final ? 'a symbolic link' : 'a symbolic link or not a directory'}: the agent follows no link ` +
      `on the way to a container's output (a workload may have put it there); name the real path`
    );
  }
  return `${at}: ${(error as Error).message}`;
}

/**
 * Opens `path` (absolute) for appending, making its missing directories
 * (`dirMode`) and the file (`mode`), following no symbolic link; only a
 * regular file is accepted, and an open never waits (a FIFO answers ENXIO
 * or is refused). Throws FileRefused naming the step at fault.
 */
export function openAppendNoLinks(path: string, mode = 0o640, dirMode = 0o750): number {
  if (!isAbsolute(path)) {
    throw new FileRefused(path, 'is not an absolute path');
  }
  const names = normalize(path)
    .split('/')
    .filter((name) => name !== '');
  if (names.length === 0 || names.includes('..')) {
    throw new FileRefused(path, 'is not a file path');
  }
  const where = directoryProblem(path);
  if (where) {
    throw new FileRefused(path, where);
  }
  let dir = openSync('/', constants.O_RDONLY | constants.O_DIRECTORY);
  let at = '';
  try {
    for (const name of names.slice(0, -1)) {
      at = `${at}/${name}`;
      try {
        mkdirSync(within(dir, name), { mode: dirMode });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw new FileRefused(path, why(error, at, false));
        }
      }
      let next: number;
      try {
        next = openSync(within(dir, name), DIRECTORY);
      } catch (error) {
        throw new FileRefused(path, why(error, at, false));
      }
      closeSync(dir);
      dir = next;
    }
    let fd: number;
    try {
      fd = openSync(within(dir, names[names.length - 1]), APPEND, mode);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new FileRefused(
        path,
        code === 'ENXIO' ? 'is a FIFO; logs are written to regular files only' : why(error, path, true)
      );
    }
    return regularOrClosed(fd, path);
  } finally {
    closeSync(dir);
  }
}
