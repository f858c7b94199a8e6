// Attack class: advisory locks on the host's files (attacks/locks.c). The
// kernel keeps a lock on the inode, whatever the mount it was opened through,
// and grants flock(LOCK_EX) and read record locks to anyone who can open the
// file for reading. So a read-only view of the host is no boundary for them:
// where the workload sees a host file, it can hold a lock that host programs
// coordinating through that file wait for (docs/security.md, Known limits).
// This test states exactly where that is so, judged by the kernel's own list
// of locks (/proc/locks, by inode) while the program holds them: under strict
// no host file outside the workspace can even be opened; under the profiles
// with the host's view the locks land on the host's files.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

import { waitFor } from '@zviz/test-support/ports';
import { attackSuite, byProfile, matrix, outcomes, type Scratch } from './harness';

const ATTEMPTS = ['flock-victim', 'posix-victim-file', 'ofd-secret', 'flock-ws'];

/** The files the program locks, by attempt. */
function targets(scratch: Scratch): Record<string, string> {
  return {
    'flock-victim': scratch.victimPath,
    'posix-victim-file': join(scratch.victimDir, 'file'),
    'ofd-secret': scratch.secretPath,
    'flock-ws': join(scratch.workspace, 'locked'),
  };
}

/** Each target's locks in /proc/locks ("FLOCK WRITE", "POSIX READ", ...), matched by inode. */
function locksOn(scratch: Scratch): Record<string, string[]> {
  const byInode = new Map<string, string[]>();
  for (const line of readFileSync('/proc/locks', 'utf8').split('\n')) {
    const fields = line.trim().split(/\s+/);
    const id = fields.find((f) => /^[0-9a-f]+:[0-9a-f]+:\d+$/.test(f));
    if (id === undefined || fields.includes('->')) {
      continue; // blocked waiters are listed with "->"
    }
    const inode = id.split(':')[2];
    byInode.set(inode, [...(byInode.get(inode) ?? []), `${fields[1]} ${fields[3]}`]);
  }
  return Object.fromEntries(
    Object.entries(targets(scratch)).map(([attempt, path]) => [attempt, byInode.get(String(statSync(path).ino)) ?? []])
  );
}

function expected(profile: string): { outcomes: Record<string, string>; held: Record<string, string[]> } {
  const landed = {
    outcomes: Object.fromEntries(ATTEMPTS.map((a) => [a, 'ok'])),
    held: {
      'flock-victim': ['FLOCK WRITE'],
      'posix-victim-file': ['POSIX READ'],
      'ofd-secret': ['OFDLCK READ'],
      'flock-ws': ['FLOCK WRITE'],
    },
  };
  return byProfile(profile, {
    // The host files are not in strict's view, whose reads are the kernel's: the read-only opens find nothing.
    strict: {
      outcomes: {
        'flock-victim': 'errno ENOENT',
        'posix-victim-file': 'errno ENOENT',
        'ofd-secret': 'errno ENOENT',
        'flock-ws': 'ok',
      },
      held: { 'flock-victim': [], 'posix-victim-file': [], 'ofd-secret': [], 'flock-ws': ['FLOCK WRITE'] },
    },
    // Not a boundary with the host's view (Known limits): the locks are on the host's inodes.
    'ci-runner': landed,
    default: landed,
    observe: landed,
  });
}

attackSuite("attack: advisory locks on the host's files", (suite) => {
  it.each(matrix())('%s (%s): where the host file is in view, the lock lands on it (stated)', async (profile, mode) => {
    let held: Record<string, string[]> = {};
    const run = await suite.run({
      profile,
      mode,
      program: 'locks',
      whileRunning: async ({ scratch }) => {
        await waitFor('the program to hold its locks', async () => existsSync(join(scratch.workspace, 'holding')), {
          timeoutMs: 30_000,
        });
        held = locksOn(scratch);
        writeFileSync(join(scratch.workspace, 'done'), '');
      },
    });
    const detail = `${run.stdout}\n${run.stderr}`;
    const want = expected(profile);
    expect(outcomes(run, ATTEMPTS), detail).toEqual(want.outcomes);
    expect(held, detail).toEqual(want.held);
    // Gone with the workload.
    expect(Object.values(locksOn(run.scratch)).flat(), detail).toEqual([]);
    await suite.expectContained(run, { outsideUnchanged: true, secretKept: true });
  });
});
