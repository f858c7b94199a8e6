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
import { spawn } from 'node:child_process';
import { existsSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

import { attackSuite, matrix, outcomeOf, Scratch, ZVIZ, type Mode } from './harness';

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
});
