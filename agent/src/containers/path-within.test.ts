import { isAbsolute, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

import { within } from './path-within';

/** The definition within() compares text in place of: path.relative, which resolves both first. */
function byRelative(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

describe('within', () => {
  it('holds for the directory itself and what lies below it, not for a sibling sharing its prefix', () => {
    expect(within('/a/b', '/a/b')).toBe(true);
    expect(within('/a/b/c', '/a/b')).toBe(true);
    expect(within('/a/bc', '/a/b')).toBe(false);
    expect(within('/a', '/a/b')).toBe(false);
    expect(within('/anything', '/')).toBe(true);
    expect(within('/', '/a')).toBe(false);
  });

  it('resolves what is not absolute and normalised first, as path.relative does', () => {
    expect(within('/a/b/../c', '/a/c')).toBe(true);
    expect(within('/a/b/./c', '/a/b/c')).toBe(true);
    expect(within('/a//b', '/a/b')).toBe(true);
    expect(within('/a/b/', '/a/b')).toBe(true);
    expect(within('/a/b/..', '/a/b')).toBe(false);
    expect(within('/a/..b', '/a')).toBe(true); // '..b' is a name, not a step up
    expect(within(process.cwd(), '.')).toBe(true);
  });

  it('answers as path.relative does for every pair of a set of awkward paths', () => {
    const paths = [
      '/',
      '/a',
      '/a/',
      '/a/b',
      '/a/bc',
      '/a/b/c',
      '/a/./b',
      '/a/../a/b',
      '//a',
      '/.a',
      '/a/..b',
      '/...',
      'a',
      '.',
      '..',
      '/a/b/..',
    ];
    for (const path of paths) {
      for (const dir of paths) {
        expect([path, dir, within(path, dir)]).toEqual([path, dir, byRelative(path, dir)]);
      }
    }
  });
});
