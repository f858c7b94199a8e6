// Creating the directory of a log file. Not `mkdir -p` through Node's
// recursive mkdir: on Node 20 that never returns for a path under /proc (or
// any file system that answers ENOENT for a parent it will not create),
// which would hang the agent's start. One level at a time, the error comes
// back as it should.
import { mkdirSync, statSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

function notADirectory(path: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`ENOTDIR: not a directory, ${path}`);
  error.code = 'ENOTDIR';
  return error;
}

/** The directories to create, outermost first. */
function missingSync(dir: string): string[] {
  const missing: string[] = [];
  for (let current = resolve(dir); ; current = dirname(current)) {
    try {
      if (!statSync(current).isDirectory()) {
        throw notADirectory(current);
      }
      return missing.reverse();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(current) === current) {
        throw error;
      }
      missing.push(current);
    }
  }
}

export function ensureDirSync(dir: string, mode = 0o750): void {
  for (const path of missingSync(dir)) {
    try {
      mkdirSync(path, { mode });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw error;
      }
    }
  }
}

export async function ensureDir(dir: string, mode = 0o750): Promise<void> {
  const missing: string[] = [];
  for (let current = resolve(dir); ; current = dirname(current)) {
    try {
      if (!(await stat(current)).isDirectory()) {
        throw notADirectory(current);
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(current) === current) {
        throw error;
      }
      missing.push(current);
    }
  }
  for (const path of missing.reverse()) {
    try {
      await mkdir(path, { mode });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw error;
      }
    }
  }
}
