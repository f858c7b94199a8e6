// Attack class: a link where a later run's workspace will be
// (attacks/workspace-link.c). The view binds the workspace (the working
// directory) by its path, writable, and the mount follows links on the way;
// so does the chdir. A workload whose workspace holds the directory a later
// run is given (a CI job's workspace above the next job's, a configured
// container's `workdir` inside another's) replaces that directory with a
// link to a directory outside. Then a second run, an honest program given
// that working directory under the same profile, deletes a file, makes a
// directory and writes a file in it: where they land is judged on the host.
//
// The first run is the attacker; the second only does what a build does in
// its workspace. The agent must refuse the second start with the link named,
// not bind the directory the link names writable.
//
// A container running at the same time can do better than leave a link: swap
// the directory and a link to one outside while later runs start, so that the
// agent's check finds the directory and the view's mount, as often as not, the
// link. The view binds the workspace and changes into it without following
// any link (agent/native/src/spawn/mount_calls.cc, BindWorkspace): such a
// start fails, and the others run in the real directory.
import { spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

import { attackSuite, matrix, outcomeOf, Scratch, ZVIZ, type Mode } from './harness';

/** How a later run started while the link was being swapped ended. */
type RaceEnd = 'ran' | 'refused by the check' | 'refused by the view' | 'other';

function raceEnd(later: { code: number | null; stdout: string; stderr: string }): RaceEnd {
  if (later.code === 0 && later.stdout.includes('done')) {
    return 'ran';
  }
  if (later.stderr.includes('is a symbolic link (to')) {
    return 'refused by the check';
  }
  if (
    later.stderr.includes('reached without following links') ||
    later.stderr.includes('changing to the working directory: Too many levels of symbolic links')
  ) {
    return 'refused by the view';
  }
  return 'other';
}

function runIn(
  workdir: string,
  profile: string,
  mode: Mode,
  socket: string
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const via = mode === 'agent' ? ['--socket', socket] : ['--standalone'];
  const child = spawn(
    process.execPath,
    [
      ZVIZ,
      'run',
      ...via,
      '--profile',
      profile,
      '--workdir',
      workdir,
      '--',
      '/bin/sh',
      '-c',
      'rm -f file; mkdir made; echo written > new; echo done',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ZVIZ_AGENT_SOCKET: '' } }
  );
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => out.push(c));
  child.stderr.on('data', (c: Buffer) => err.push(c));
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
  });
}

attackSuite("a link where a later run's workspace will be", (suite) => {
  it.each(matrix())(
    '%s, %s: the later run is refused, and nothing outside changes',
    async (profile, mode) => {
      const scratch = Scratch.create();
      const job = join(scratch.workspace, 'job');
      const planted = await suite.run({
        profile,
        mode,
        program: 'workspace-link',
        scratch,
        args: [scratch.victimDir, 'job'],
      });
      expect(outcomeOf(planted, 'link'), `${profile}, ${mode}: the link\n${planted.stderr}`).toBe('ok');
      expect(lstatSync(job).isSymbolicLink()).toBe(true);

      const later = await runIn(job, profile, mode, suite.agent().socket);
      const context = `${profile}, ${mode}: the later run\n${later.stdout}\n${later.stderr}`;
      expect(scratch.changedOutside(), context).toEqual([]);
      expect(existsSync(join(scratch.victimDir, 'file')), context).toBe(true);
      expect(later.stdout, context).not.toContain('done');
      expect(later.code, context).not.toBe(0);
      expect(later.stderr, context).toContain(`${job} is a symbolic link`);
      expect(await suite.agent().notAlive()).toBeUndefined();
    },
    60_000
  );

  // Only where the later run may write nowhere but its workspace: under
  // default and observe it writes outside anyway.
  it.each(matrix(['ci-runner', 'strict']))(
    '%s, %s: a link swapped in while later runs start is never their workspace',
    async (profile, mode) => {
      const scratch = Scratch.create();
      const job = join(scratch.workspace, 'job');
      mkdirSync(job);
      symlinkSync(scratch.victimDir, join(scratch.workspace, 'job-link'));
      const ends: RaceEnd[] = [];
      const details: string[] = [];
      const swapping = await suite.run({
        profile,
        mode,
        program: 'workspace-link',
        scratch,
        args: ['swap', 'job', 'job-link'],
        timeoutMs: 150_000,
        whileRunning: async () => {
          // Until the view has refused at least one start and at least one
          // has run, bounded: each start is a coin toss, so a few dozen
          // make both all but certain.
          for (let i = 0; i < 60; i++) {
            const later = await runIn(job, profile, mode, suite.agent().socket);
            const end = raceEnd(later);
            ends.push(end);
            if (end === 'other') {
              details.push(`${later.code}: ${later.stdout} ${later.stderr}`);
            }
            if (ends.includes('ran') && ends.includes('refused by the view')) {
              break;
            }
          }
          writeFileSync(join(scratch.workspace, 'stop'), '');
        },
      });
      const context = `${profile}, ${mode}: ${ends.join(', ')}\n${details.join('\n')}\n${swapping.stderr}`;
      expect(outcomeOf(swapping, 'swap'), context).toBe('ok');
      expect(scratch.changedOutside(), context).toEqual([]);
      expect(existsSync(join(scratch.victimDir, 'file')), context).toBe(true);
      expect(ends, context).not.toContain('other');
      expect(ends, context).toContain('refused by the view');
      expect(ends, context).toContain('ran');
      expect(await suite.agent().notAlive()).toBeUndefined();
    },
    180_000
  );
});
