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
import { lstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

import { attackSuite, matrix, outcomes, Scratch } from './harness';

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
const LOG = 'caller.log';

attackSuite("writes through the caller's stdio descriptors", (suite) => {
  it.each(matrix())('%s (%s): a directory on stdin reaches nothing of the node', async (profile, mode) => {
    const scratch = Scratch.create({ doomed: 'to be removed\n', [LOG]: 'the caller log\n' });
    const log = join(scratch.outside, LOG);
    const logBefore = lstatSync(log);
    const run = await suite.run({
      profile,
      mode,
      program: 'caller-writes',
      scratch,
      // As a shell runs `zviz run ... <DIR 2>>FILE`; zviz run's own stderr (its summary) goes there too.
      wrap: (argv) => [
        '/bin/sh',
        '-c',
        'log=$1 dir=$2; shift 2; exec "$@" 2>>"$log" <"$dir"',
        'sh',
        log,
        scratch.outside,
        ...argv,
      ],
    });
    const detail = `${run.stdout}\n${run.stderr}`;
    // The directory on stdin is /dev/null of the view by the time the workload runs.
    expect(outcomes(run, DIRECTORY_ATTEMPTS), detail).toEqual(
      Object.fromEntries(DIRECTORY_ATTEMPTS.map((name) => [name, 'errno ENOTDIR']))
    );
    expect(
      scratch.changedOutside().filter((change) => !change.startsWith(`~ outside/${LOG}:`)),
      detail
    ).toEqual([]);
    expect(scratch.secretFoundIn(run.stdout), detail).toEqual([]);
    // Open finding (docs/security.md): the file on stderr is the node's inode, and its mode,
    // owner and attributes are the workload's to change. Stated as it is, so that a fix shows.
    expect(outcomes(run, FILE_ATTEMPTS), detail).toEqual(Object.fromEntries(FILE_ATTEMPTS.map((name) => [name, 'ok'])));
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
