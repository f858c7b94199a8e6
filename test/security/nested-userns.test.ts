// Attack class: a workload task makes a user namespace of its own and asks
// the broker for files its capabilities there do not reach
// (attacks/nested-userns.c; docs/security.md, "Emulated opens"). A task in a
// new user namespace holds every capability in it, over inodes whose owner is
// mapped into it only; the broker works in the node's user namespace, where
// the same capabilities would reach every file. The built-in profiles refuse
// new user namespaces, so the attack runs under strict with clone allowed to
// make one. Judged on the host: the secrets' bytes, what exists in the
// directories the tasks may not write.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { attackSuite, matrix, outcomes, REPO, Scratch } from './harness';

const ATTEMPTS = [
  'clone-newuser',
  'userns-read-root-only',
  'userns-create-root-dir',
  'userns-read-hostname',
  'userns-capset',
  'same-caps-read-root-only',
  'same-caps-create-root-dir',
  'rootns-clone-newuser',
  'rootns-read-other-only',
  'rootns-create-other-dir',
  'finished',
];
const KERNEL = {
  'clone-newuser': 'ok',
  'userns-read-root-only': 'errno EACCES',
  'userns-create-root-dir': 'errno EACCES',
  'userns-read-hostname': 'ok',
  'userns-capset': 'ok',
  'same-caps-read-root-only': 'errno EACCES',
  'same-caps-create-root-dir': 'errno EACCES',
  'rootns-clone-newuser': 'ok',
  'rootns-read-other-only': 'errno EACCES',
  'rootns-create-other-dir': 'errno EACCES',
  finished: 'ok',
};
/** Writing the maps: the kernel lets the root parent; strict refuses writes under /proc (EACCES). */
const MAPS = ['userns-uid-map', 'userns-gid-map', 'userns-setresuid', 'rootns-uid-map', 'rootns-gid-map'];
const CLONE_NEWUSER = 0x10000000;

/** strict, whose clone rule also lets a task make a user namespace (and nothing else new). */
function withUserNamespaces(): object {
  const strict = JSON.parse(readFileSync(join(REPO, 'agent', 'profiles', 'strict.json'), 'utf8')) as {
    syscalls: Array<{ names: string[]; args?: Array<{ value: number }> }>;
  };
  const syscalls = strict.syscalls.map((rule) =>
    rule.names.includes('clone') && rule.args
      ? { ...rule, args: rule.args.map((a) => ({ ...a, value: a.value & ~CLONE_NEWUSER })) }
      : rule
  );
  return { ...strict, syscalls };
}

attackSuite(
  'attack: a task in a user namespace of its own asks the broker for files its capabilities do not reach',
  (suite) => {
    let profiles: Scratch;
    let profile = '';
    beforeAll(() => {
      profiles = Scratch.create();
      profile = join(profiles.outside, 'userns.json');
      writeFileSync(profile, JSON.stringify(withUserNamespaces()));
    });
    afterAll(() => profiles?.remove());

    it('the bare kernel refuses them', () => {
      const bare = suite.runBare('nested-userns');
      expect(outcomes({ results: bare.results } as never, ATTEMPTS), bare.stdout).toEqual(KERNEL);
      // Mapped: the capabilities it holds are those of a root inside its namespace.
      expect(outcomes({ results: bare.results } as never, MAPS), bare.stdout).toEqual(
        Object.fromEntries(MAPS.map((m) => [m, 'ok']))
      );
    });

    it.each(matrix(['userns']))(
      '%s (%s): judged by the ids the task has outside its namespace',
      async (_name, mode) => {
        const run = await suite.run({ profile, mode, program: 'nested-userns' });
        const detail = `${run.stdout}\n${run.stderr}`;
        const ws = run.scratch.workspace;
        expect(outcomes(run, ATTEMPTS), detail).toEqual(KERNEL);
        // Unmapped here: every capability in its namespace all the same, its ids the same outside.
        expect(outcomes(run, MAPS), detail).toEqual({
          'userns-uid-map': 'errno EACCES',
          'userns-gid-map': 'errno EACCES',
          'userns-setresuid': 'errno EINVAL',
          'rootns-uid-map': 'errno EACCES',
          'rootns-gid-map': 'errno EACCES',
        });
        expect(run.stdout).not.toContain(Buffer.from('root only\n').toString('hex'));
        expect(run.stdout).not.toContain(Buffer.from('other only\n').toString('hex'));
        expect(existsSync(join(ws, 'root-dir', 'new')), detail).toBe(false);
        expect(existsSync(join(ws, 'other-dir', 'new')), detail).toBe(false);
        await suite.expectContained(run, { outsideUnchanged: true });
      }
    );
  }
);
