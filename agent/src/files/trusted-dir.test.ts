// Which directories the agent may write into as root: judged on real
// directories with real owners (root chowns them to a user of its choosing).
import { chmodSync, chownSync, lchownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';

import { describeWhere, root } from '@zviz/test-support/requirements';
import { untrustedDirectory } from './trusted-dir';

/** A uid no account of the test machine uses. */
const STRANGER = 54_321;

describeWhere([root], 'untrustedDirectory', () => {
  let base: string;
  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'zviz-trusted-dir-'));
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  const dir = (name: string, mode: number, uid = 0) => {
    const path = join(base, name);
    mkdirSync(path, { recursive: true });
    chmodSync(path, mode);
    chownSync(path, uid, 0);
    return path;
  };

  it('trusts directories only root can change, the way to them included, and group-writable ones', () => {
    expect(untrustedDirectory(dir('private', 0o700))).toBeUndefined();
    expect(untrustedDirectory(dir('shared-with-a-group', 0o775))).toBeUndefined();
    expect(untrustedDirectory('/run')).toBeUndefined();
  });

  it("refuses a directory of another user, and one below it, even though root's", () => {
    const theirs = dir('theirs', 0o755, STRANGER);
    expect(untrustedDirectory(theirs)).toBe(
      `${theirs} belongs to uid ${STRANGER}, who could put a link or a file of their own there`
    );
    const below = dir('theirs/below', 0o700);
    expect(untrustedDirectory(below)).toMatch(new RegExp(`^${theirs} belongs to uid ${STRANGER}`));
  });

  it('refuses a directory every user can write, and one below a non-sticky one', () => {
    const open = dir('open', 0o777);
    expect(untrustedDirectory(open)).toBe(
      `${open} is writable by every user, who could put a link or a file of their own there`
    );
    expect(untrustedDirectory(dir('open/below', 0o700))).toBe(
      `${open} is writable by every user, who could replace what lies below it`
    );
  });

  it("accepts root's directory below a sticky one (as /tmp), but not the sticky one itself", () => {
    const sticky = dir('sticky', 0o1777);
    expect(untrustedDirectory(sticky)).toMatch(/is writable by every user/);
    expect(untrustedDirectory(dir('sticky/mine', 0o700))).toBeUndefined();
  });

  it('judges a directory that does not exist yet by the nearest one that does', () => {
    expect(untrustedDirectory(join(dir('private', 0o700), 'a', 'b'))).toBeUndefined();
    expect(untrustedDirectory(join(dir('sticky', 0o1777), 'to-make'))).toBeUndefined();
    expect(untrustedDirectory(join(dir('theirs', 0o700, STRANGER), 'to-make'))).toMatch(/belongs to uid 54321/);
  });

  it("refuses a link on the way that another user made, and a link to another user's directory", () => {
    const target = dir('target', 0o700);
    const sticky = dir('sticky', 0o1777);
    const link = join(sticky, 'link');
    symlinkSync(target, link);
    expect(untrustedDirectory(link)).toBeUndefined();
    lchownSync(link, STRANGER, 0);
    expect(untrustedDirectory(join(link, 'logs'))).toMatch(new RegExp(`^${link} belongs to uid ${STRANGER}`));
    const rootLink = join(base, 'root-link');
    symlinkSync(dir('theirs', 0o755, STRANGER), rootLink);
    expect(untrustedDirectory(rootLink)).toMatch(/theirs belongs to uid 54321/);
  });
});
