// Attack class: file leases on the host's files (attacks/lease.c). A lease is
// the kernel's promise to tell its holder before anyone else opens the file,
// and it keeps the other opener waiting until the holder lets go or
// fs.lease-break-time passes (45 s). The kernel grants it to the file's owner
// by fsuid, whatever the mount, so a workload that is uid 0 could lease every
// root-owned file its view shows, read-only mounts included: the open of a
// file every program makes (ld.so.cache, a shell) would wait on the whole
// node, each time the workload took the lease again. Every filter refuses
// F_SETLEASE but F_UNLCK with EINVAL, what a node with fs.leases-enable 0
// answers (docs/security.md, "Attack classes and their tests").
//
// The host is the judge: while the program holds what it got, the test opens
// each file from outside with O_NONBLOCK, which the kernel fails with
// EWOULDBLOCK instead of waiting when a lease stands in the way, and looks
// for the files' inodes among the leases of /proc/locks.
import { constants, closeSync, existsSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

import { waitFor } from '@zviz/test-support/ports';
import { attackSuite, byProfile, matrix, outcomes, type Scratch } from './harness';

const ATTEMPTS = [
  'lease-victim-write',
  'lease-victim-read',
  'lease-ws-write',
  'lease-ws-read',
  'lease-wide-cmd',
  'lease-wide-arg',
  'lease-i386',
  'unlock',
  'getlease',
];

function expected(profile: string): Record<string, string> {
  const refused = 'errno EINVAL';
  const workspace = {
    'lease-ws-write': refused,
    'lease-ws-read': refused,
    'lease-wide-cmd': refused,
    'lease-wide-arg': refused,
    unlock: 'errno EAGAIN', // the kernel's answer: no lease to remove
    getlease: 'ok',
  };
  const hostView = { 'lease-victim-write': refused, 'lease-victim-read': refused };
  return byProfile(profile, {
    // The victims are outside strict's view (its reads are the kernel's); its
    // filter and those of ci-runner and observe cover x86_64 only (compat-abi.test.ts).
    strict: {
      ...workspace,
      'lease-victim-write': 'errno ENOENT',
      'lease-victim-read': 'errno ENOENT',
      'lease-i386': 'killed SIGKILL',
    },
    'ci-runner': { ...workspace, ...hostView, 'lease-i386': 'killed SIGKILL' },
    default: { ...workspace, ...hostView, 'lease-i386': refused },
    observe: { ...workspace, ...hostView, 'lease-i386': 'killed SIGKILL' },
  });
}

/** The files the program leases, with how the host opens them to meet a lease of that kind. */
function targets(scratch: Scratch): Array<{ path: string; flags: number }> {
  const { O_RDONLY, O_WRONLY, O_NONBLOCK } = constants;
  const meetsWriteLease = O_RDONLY | O_NONBLOCK; // any open breaks a write lease
  const meetsReadLease = O_WRONLY | O_NONBLOCK; // opens for writing break a read lease
  return [
    { path: scratch.victimPath, flags: meetsWriteLease },
    { path: join(scratch.victimDir, 'file'), flags: meetsReadLease },
    { path: join(scratch.workspace, 'leased-write'), flags: meetsWriteLease },
    { path: join(scratch.workspace, 'leased-read'), flags: meetsReadLease },
    { path: join(scratch.workspace, 'leased-wide-cmd'), flags: meetsWriteLease },
    { path: join(scratch.workspace, 'leased-wide-arg'), flags: meetsWriteLease },
  ];
}

/** What the host's open of each target met: "open" or the error code (EWOULDBLOCK: a lease). */
function probe(scratch: Scratch): Record<string, string> {
  const met: Record<string, string> = {};
  for (const { path, flags } of targets(scratch)) {
    try {
      closeSync(openSync(path, flags));
      met[path] = 'open';
    } catch (error) {
      met[path] = (error as NodeJS.ErrnoException).code ?? String(error);
    }
  }
  return met;
}

/** Lines of /proc/locks that are leases on one of the targets (matched by inode). */
function leasesOn(scratch: Scratch): string[] {
  const inodes = new Set(targets(scratch).map(({ path }) => String(statSync(path).ino)));
  return readFileSync('/proc/locks', 'utf8')
    .split('\n')
    .filter((line) => /\bLEASE\b|\bBREAKING\b|\bBREAKER\b/.test(line))
    .filter((line) =>
      inodes.has(
        line
          .split(/\s+/)
          .find((f) => /^[0-9a-f]+:[0-9a-f]+:\d+$/.test(f))
          ?.split(':')[2] ?? ''
      )
    );
}

attackSuite("attack: leases on the host's files", (suite) => {
  it.each(matrix())('%s (%s): no lease is granted, and the host opens every file at once', async (profile, mode) => {
    let met: Record<string, string> = {};
    let held: string[] = [];
    const run = await suite.run({
      profile,
      mode,
      program: 'lease',
      whileRunning: async ({ scratch }) => {
        await waitFor('the program to hold its leases', async () => existsSync(join(scratch.workspace, 'holding')), {
          timeoutMs: 30_000,
        });
        held = leasesOn(scratch);
        met = probe(scratch);
        writeFileSync(join(scratch.workspace, 'done'), '');
      },
    });
    const detail = `${run.stdout}\n${run.stderr}`;
    expect(outcomes(run, [...ATTEMPTS, 'finished']), detail).toEqual({ ...expected(profile), finished: 'ok' });
    expect(held, `leases of the workload in /proc/locks\n${detail}`).toEqual([]);
    expect(met, detail).toEqual(Object.fromEntries(targets(run.scratch).map(({ path }) => [path, 'open'])));
    await suite.expectContained(run, { outsideUnchanged: true, secretKept: true });
  });
});
