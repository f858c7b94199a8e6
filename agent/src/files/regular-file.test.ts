// What the agent accepts as a file to read or append to: regular files of a
// sane size, never a FIFO (reading or opening it would wait for a peer), a
// device or a directory; each refused with the reason.
import { execFileSync } from 'node:child_process';
import { closeSync, fstatSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { FileRefused, openOutputFile, outputFileProblem, readRegularFile, readRegularText } from './regular-file';

const dir = mkdtempSync(join(tmpdir(), 'zviz-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fifo = join(dir, 'fifo');
execFileSync('mkfifo', [fifo]);

function refusal(read: () => unknown): FileRefused {
  try {
    read();
  } catch (error) {
    expect(error).toBeInstanceOf(FileRefused);
    return error as FileRefused;
  }
  throw new Error('was not refused');
}

describe('readRegularFile', () => {
  it('reads a regular file, also through a symbolic link (mounted secrets are links)', () => {
    writeFileSync(join(dir, 'token'), 'secret\n');
    symlinkSync(join(dir, 'token'), join(dir, 'link'));
    expect(readRegularText(join(dir, 'link'), 64)).toBe('secret\n');
  });

  it('reads a file of exactly the limit, and refuses one byte more', () => {
    writeFileSync(join(dir, 'ten'), '0123456789');
    expect(readRegularFile(join(dir, 'ten'), 10).length).toBe(10);
    expect(refusal(() => readRegularFile(join(dir, 'ten'), 9)).reason).toBe('is 10 bytes; at most 9 bytes is read');
  });

  it.each([
    [fifo, 'is a FIFO; only a regular file is read'],
    ['/dev/zero', 'is a character device; only a regular file is read'],
    [dir, 'is a directory; only a regular file is read'],
    [join(dir, 'absent'), 'no such file'],
  ])('refuses %s at once: %s', (path, reason) => {
    // Synchronous: had it opened the FIFO to wait for a writer (there is
    // none), this call would never return and the test would time out.
    const refused = refusal(() => readRegularFile(path, 1024));
    expect(refused.reason).toBe(reason);
    expect(refused.message).toBe(`${path}: ${reason}`);
  });

  it('keeps the errno code of a missing file, so a default path may be absent', () => {
    expect(refusal(() => readRegularFile(join(dir, 'absent'), 1)).code).toBe('ENOENT');
  });
});

describe('output files', () => {
  it('accepts a regular file, a path not there yet, and /dev/null', () => {
    writeFileSync(join(dir, 'log'), '');
    expect(outputFileProblem(join(dir, 'log'))).toBeUndefined();
    expect(outputFileProblem(join(dir, 'new.log'))).toBeUndefined();
    expect(outputFileProblem('/dev/null')).toBeUndefined();
  });

  it.each([
    [fifo, 'is a FIFO; logs are written to regular files only'],
    ['/dev/full', 'is a character device; logs are written to regular files only'],
  ])('refuses %s', (path, reason) => {
    expect(outputFileProblem(path)).toBe(reason);
    expect(refusal(() => openOutputFile(path)).reason).toBe(reason);
  });

  it('opens for appending, creating the file', () => {
    mkdirSync(join(dir, 'out'));
    const fd = openOutputFile(join(dir, 'out', 'zviz.log'));
    try {
      expect(fstatSync(fd).isFile()).toBe(true);
    } finally {
      closeSync(fd);
    }
  });
});
