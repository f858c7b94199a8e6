// Finding the program to run the way execvp does, in the agent, so the
// workload's first process makes exactly one execve.
import { accessSync, constants, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The absolute path of `command`, searched in PATH when it has no "/"; throws a user-facing Error. */
export function resolveCommand(command: string, env: Readonly<Record<string, string>>, cwd: string): string {
  if (command === '') {
    throw new Error('empty command');
  }
  if (command.includes('/')) {
    const path = isAbsolute(command) ? command : resolve(cwd, command);
    if (!executable(path)) {
      throw new Error(`${command}: no such executable file`);
    }
    return path;
  }
  for (const dir of (env.PATH ?? DEFAULT_PATH).split(':')) {
    const path = join(dir === '' ? cwd : isAbsolute(dir) ? dir : resolve(cwd, dir), command);
    if (executable(path)) {
      return path;
    }
  }
  throw new Error(`${command}: command not found in PATH`);
}

export function envList(env: Readonly<Record<string, string>>): string[] {
  return Object.entries(env).map(([k, v]) => `${k}=${v}`);
}
