import { execFileSync } from 'node:child_process';
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { openAppendNoLinks } from './no-link-open';

describe('openAppendNoLinks', () => {
  let dir: string;
  let outside: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'zviz-no-link-'));
    outside = join(dir, 'outside');
    mkdirSync(outside, { mode: 0o755 });
    writeFileSync(join(outside, 'victim'), 'victim\n');
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  function append(path: string, text: string): void {
    const fd = openAppendNoLinks(path);
    try {
      writeSync(fd, text);
    } finally {
      closeSync(fd);
    }
  }

  it('makes the missing directories and the file, and appends', () => {
    const path = join(dir, 'a', 'b', 'out.log');
    append(path, 'one\n');
    append(path, 'two\n');
    expect(readFileSync(path, 'utf8')).toBe('one\ntwo\n');
  });

  it('refuses a link as the file, and writes nothing through it', () => {
    const path = join(dir, 'out.log');
    symlinkSync(join(outside, 'victim'), path);
    expect(() => append(path, 'x\n')).toThrow(`${path}: ${path} is a symbolic link`);
    expect(readFileSync(join(outside, 'victim'), 'utf8')).toBe('victim\n');
  });

  it('refuses a link as a directory on the way, and makes nothing through it', () => {
    symlinkSync(outside, join(dir, 'logs'));
    const path = join(dir, 'logs', 'err.log');
    expect(() => append(path, 'x\n')).toThrow(`${join(dir, 'logs')} is a symbolic link or not a directory`);
    expect(() => readFileSync(join(outside, 'err.log'))).toThrow(/ENOENT/);
  });

  it('refuses a link to a directory the path only passes through, with the missing rest not made', () => {
    symlinkSync(outside, join(dir, 'logs'));
    expect(() => append(join(dir, 'logs', 'new', 'err.log'), 'x\n')).toThrow(/is a symbolic link or not a directory/);
    expect(() => readFileSync(join(outside, 'new'))).toThrow(/ENOENT/);
  });

  it('refuses a FIFO without waiting for a reader', () => {
    const path = join(dir, 'fifo.log');
    execFileSync('mkfifo', [path]);
    expect(() => append(path, 'x\n')).toThrow(`${path}: is a FIFO; logs are written to regular files only`);
  });

  it('refuses a device and a directory', () => {
    expect(() => openAppendNoLinks('/dev/full')).toThrow('/dev/full: is a character device');
    mkdirSync(join(dir, 'd'));
    expect(() => openAppendNoLinks(join(dir, 'd'))).toThrow(/EISDIR/);
  });

  it('refuses a relative path', () => {
    expect(() => openAppendNoLinks('out.log')).toThrow('out.log: is not an absolute path');
  });
});
