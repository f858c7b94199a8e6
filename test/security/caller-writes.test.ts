// Attack class: writes to the node through what the caller handed the
// workload as stdio (attacks/caller-writes.c). `zviz run ... <DIR 2>>FILE`
// gives the workload the caller's open directory and file, which live in
// the node's mount namespace on the node's own mounts: a call relative to
// the directory (mkdirat, unlinkat, renameat, linkat, symlinkat, fchmodat,
// fchownat, an openat that creates) or on the file (fchmod, fchown,
// fsetxattr) reaches the node's inode past the view and its read-only
// mounts, as the workload's root, which is the node's uid 0 with the
// profile's capabilities (docs/security.md, "What the workload inherits").
// Before the fix every directory call landed under every profile (a
// directory made, the secret's mode and owner changed, hard-linked, a link
// to /etc/shadow planted, a file renamed and one removed in the node's
// directory). Judged on the node: the directory's tree entry by entry, the
// file's mode, owner and attributes.
import { randomBytes } from 'node:crypto';
import { lstatSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';

import { attackSuite, byProfile, callerStdio, matrix, outcomes, Scratch } from './harness';

const DIRECTORY_ATTEMPTS = [
  'dir-mkdirat',
  'dir-fchmodat',
  'dir-fchownat',
  'dir-linkat',
  'dir-symlinkat',
  'dir-renameat',
  'dir-unlinkat',
  'dir-openat-creat',
];
const FILE_ATTEMPTS = ['file-fchmod', 'file-fchown', 'file-fsetxattr'];
const REOPENS = [
  'thread-reopen-rdonly',
  'reopen-rdonly-creat',
  'reopen-rdwr',
  'reopen-rdonly-trunc',
  'reopen-high-trunc',
  'reopen-wronly-trunc',
];

attackSuite("writes through the caller's stdio descriptors", (suite) => {
  // The caller's log where logs often are, the node's /tmp (this runner's TMPDIR lies there): a
  // path that strict's and ci-runner's rules allow as their own /tmp.
  const logDirs: string[] = [];
  afterAll(() => logDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  /** What each reopen of stderr gives: reads of the earlier content only where the view holds the file. */
  const reopens = (profile: string, earlier: string): Record<string, string> => {
    const read = `read ${Buffer.from(earlier).toString('hex')}`;
    const refused = Object.fromEntries(REOPENS.map((name) => [name, 'errno EACCES']));
    // Written (and truncated) as shells do with `>/dev/stderr`; a descriptor open for writing reads nothing.
    const writes = { 'reopen-wronly-trunc': 'ok' };
    const kernelOpens = {
      'thread-reopen-rdonly': read,
      'reopen-rdonly-creat': read,
      'reopen-rdwr': read,
      'reopen-rdonly-trunc': 'ok',
      'reopen-high-trunc': 'ok',
      ...writes,
    };
    return byProfile(profile, {
      // The kernel's read: Landlock; the rest by the broker, which reopens it for writing only.
      strict: { ...refused, ...writes },
      // Its reads are the kernel's, not a boundary (its view is the host's); the broker's as strict.
      'ci-runner': { ...refused, ...writes, 'thread-reopen-rdonly': read },
      // The kernel's opens: the file is theirs to read and truncate.
      default: kernelOpens,
      observe: kernelOpens,
    });
  };

  it.each(matrix())('%s (%s): a directory on stdin reaches nothing of the node', async (profile, mode) => {
    const scratch = Scratch.create({ doomed: 'to be removed\n' });
    const logDir = mkdtempSync(join(tmpdir(), 'cw-'));
    logDirs.push(logDir);
    const log = join(logDir, 'job.log');
    const earlier = `earlier runs: ZVIZ-EARLIER-${randomBytes(12).toString('hex')}\n`;
    writeFileSync(log, earlier, { mode: 0o644 });
    const logBefore = lstatSync(log);
    const run = await suite.run({
      profile,
      mode,
      program: 'caller-writes',
      scratch,
      wrap: callerStdio(log, scratch.outside),
    });
    const detail = `${run.stdout}\n${run.stderr}`;
    // The directory on stdin is /dev/null of the view by the time the workload runs.
    expect(outcomes(run, DIRECTORY_ATTEMPTS), detail).toEqual(
      Object.fromEntries(DIRECTORY_ATTEMPTS.map((name) => [name, 'errno ENOTDIR']))
    );
    expect(scratch.changedOutside(), detail).toEqual([]);
    expect(scratch.secretFoundIn(run.stdout), detail).toEqual([]);
    // Open finding (docs/security.md): the file on stderr is the node's inode, and its mode,
    // owner and attributes are the workload's to change. Stated as it is, so that a fix shows.
    expect(outcomes(run, FILE_ATTEMPTS), detail).toEqual(Object.fromEntries(FILE_ATTEMPTS.map((name) => [name, 'ok'])));
    expect(outcomes(run, REOPENS), detail).toEqual(reopens(profile, earlier));
    if (profile === 'strict') {
      expect(run.stdout, detail).not.toContain(Buffer.from(earlier).toString('hex'));
    }
    const logAfter = lstatSync(log);
    expect([logBefore.uid, logBefore.mode & 0o7777], detail).toEqual([0, 0o644]);
    // fchown after fchmod: the kernel clears the set-user-id bit it set.
    expect([logAfter.uid, logAfter.gid, logAfter.mode & 0o7777], detail).toEqual([1234, 1234, 0o755]);
    // zviz run saw the run to its end: its summary line is in the caller's file.
    expect(readFileSync(log, 'utf8'), detail).toMatch(
      new RegExp(`^zviz: \\S+ \\(${profile}\\) exited with code 0`, 'm')
    );
    expect(await suite.agent().notAlive()).toBeUndefined();
  });
});
