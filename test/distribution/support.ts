// Helpers for the distribution tests: the repository root, temporary
// directories removed after the run, and commands whose failure message
// carries their output.
import { execFile, spawnSync, type ExecFileOptions, type SpawnSyncOptions } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

export const repo = join(__dirname, '..', '..');

/** A fresh directory under the system temp dir, removed when the file's tests end. */
export function scratch(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `zviz-${prefix}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; never throws, so tests can assert on failures too. */
export function run(command: string, args: string[], options: SpawnSyncOptions = {}): Ran {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
  if (result.error) {
    return { status: null, stdout: '', stderr: String(result.error) };
  }
  return { status: result.status, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** Runs a command that must succeed, and returns its stdout. */
export function ok(command: string, args: string[], options: SpawnSyncOptions = {}): string {
  const result = run(command, args, options);
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} exited ${result.status}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`
    );
  }
  return result.stdout;
}

/**
 * Like ok(), without blocking: for the minute-long steps (npm pack, npm
 * install) a test worker must stay responsive to its runner meanwhile.
 */
export function okAsync(command: string, args: string[], options: ExecFileOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options }, (error, stdout, stderr) => {
      if (error) {
        reject(
          new Error(
            `${command} ${args.join(' ')} failed: ${error.message}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`
          )
        );
      } else {
        resolve(String(stdout));
      }
    });
  });
}
