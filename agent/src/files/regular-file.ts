// Files the configuration names (the configuration itself, token and TLS
// files, profiles, log outputs) must be regular files of a sane size. A FIFO
// would block the reader until some writer comes (the agent frozen at start
// or in a SIGHUP), /dev/zero never ends, /dev/full refuses every write: each
// is refused up front with the reason, before it is opened for real. Opens
// are non-blocking, so even a file swapped for a FIFO after the check cannot
// hang the agent, and the kind is checked again on the descriptor.
import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';

import { untrustedDirectory } from './trusted-dir';

/** Why a named file cannot be used; the message names the path and says why. */
export class FileRefused extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
    /** The errno code when the file system refused (ENOENT for a missing file). */
    readonly code?: string
  ) {
    super(`${path}: ${reason}`);
    this.name = 'FileRefused';
  }
}

function refused(path: string, error: unknown): FileRefused {
  return error instanceof FileRefused
    ? error
    : new FileRefused(path, reasonOf(error), (error as NodeJS.ErrnoException).code);
}

export function fileKind(info: Stats): string {
  if (info.isFile()) {
    return 'a regular file';
  }
  if (info.isDirectory()) {
    return 'a directory';
  }
  if (info.isFIFO()) {
    return 'a FIFO';
  }
  if (info.isCharacterDevice()) {
    return 'a character device';
  }
  if (info.isBlockDevice()) {
    return 'a block device';
  }
  if (info.isSocket()) {
    return 'a socket';
  }
  return 'not a regular file';
}

function reasonOf(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  switch (e.code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory, not a file';
    case 'ENOTDIR':
      return 'a part of the path is not a directory';
    case 'ELOOP':
      return 'too many symbolic links';
    case 'ENAMETOOLONG':
      return 'the path is too long';
    default:
      return e.message;
  }
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) {
    return `${+(bytes / (1024 * 1024)).toFixed(1)} MiB`;
  }
  if (bytes >= 1024) {
    return `${+(bytes / 1024).toFixed(1)} KiB`;
  }
  return `${bytes} bytes`;
}

function refuseKind(path: string, info: Stats, maxBytes: number): void {
  if (!info.isFile()) {
    throw new FileRefused(path, `is ${fileKind(info)}; only a regular file is read`);
  }
  if (info.size > maxBytes) {
    throw new FileRefused(path, `is ${formatBytes(info.size)}; at most ${formatBytes(maxBytes)} is read`);
  }
}

/**
 * Reads a regular file of at most `maxBytes`; throws FileRefused for
 * anything else (missing, unreadable, a FIFO, a device, a directory, too big).
 * Symbolic links are followed: Kubernetes mounts secrets through them.
 */
export function readRegularFile(path: string, maxBytes: number): Buffer {
  let fd: number;
  try {
    refuseKind(path, statSync(path), maxBytes);
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    throw refused(path, error);
  }
  try {
    refuseKind(path, fstatSync(fd), maxBytes);
    // Read one byte past the limit: a file that grew since fstat is still caught.
    const buffer = Buffer.allocUnsafe(maxBytes + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) {
        break;
      }
      length += n;
      if (length > maxBytes) {
        throw new FileRefused(path, `is larger than ${formatBytes(maxBytes)}; at most that is read`);
      }
    }
    return buffer.subarray(0, length);
  } catch (error) {
    throw refused(path, error);
  } finally {
    closeSync(fd);
  }
}

export function readRegularText(path: string, maxBytes: number): string {
  return readRegularFile(path, maxBytes).toString('utf8');
}

/**
 * Why the directory of a file the agent writes as root is no place for it
 * (files/trusted-dir.ts): another user could put a link there.
 */
export function directoryProblem(path: string): string | undefined {
  let problem: string | undefined;
  try {
    problem = untrustedDirectory(dirname(path));
  } catch (error) {
    return reasonOf(error);
  }
  return problem
    ? `is in a directory another user can change (${problem}); choose a directory only root can write`
    : undefined;
}

/**
 * Why a path the agent appends to (its log, the audit log, a container's
 * output) cannot be one; undefined when it is a regular file or does not
 * exist yet (it will be created). Only regular files: a FIFO blocks the
 * opener until a reader comes, a device such as /dev/full fails every write.
 */
export function outputFileProblem(path: string): string | undefined {
  if (path === '/dev/null') {
    return undefined; // discarding is a choice, and never blocks or fails
  }
  const where = directoryProblem(path);
  if (where) {
    return where;
  }
  let info: Stats;
  try {
    info = statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? undefined : reasonOf(error);
  }
  return info.isFile() ? undefined : `is ${fileKind(info)}; logs are written to regular files only`;
}

/**
 * Opens a file for appending without ever blocking (a FIFO swapped in after
 * the check answers ENXIO or is refused here) and makes sure it is a regular
 * file; returns the descriptor.
 */
export function openOutputFile(path: string, mode = 0o640): number {
  const problem = outputFileProblem(path);
  if (problem) {
    throw new FileRefused(path, problem);
  }
  let fd: number;
  try {
    fd = openSync(
      path,
      constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NONBLOCK | constants.O_NOCTTY,
      mode
    );
  } catch (error) {
    throw refused(path, error);
  }
  return path === '/dev/null' ? fd : regularOrClosed(fd, path);
}

/**
 * Returns `fd` when it is a regular file; otherwise closes it and throws
 * FileRefused for `path` (an output opened for appending: checked on the
 * descriptor, since a FIFO or device may have been swapped in after any check
 * by path).
 */
export function regularOrClosed(fd: number, path: string): number {
  const info = fstatSync(fd);
  if (!info.isFile()) {
    closeSync(fd);
    throw new FileRefused(path, `is ${fileKind(info)}; logs are written to regular files only`);
  }
  return fd;
}
