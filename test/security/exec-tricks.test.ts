// Attack class: having the kernel run a program from outside strict's
// program directories without naming it to execve (attacks/exec-tricks.c): a
// "#!" interpreter and a program interpreter (PT_INTERP) in /tmp or a memfd,
// the system's ld.so asked to run such a program, and mapping such a file
// executable. The broker judged the path execve names and nothing else, and
// the kernel opened the interpreters by path itself: each of them ran under
// strict. Now every program the kernel would load by path is judged
// (supervisor_exec.cc). Found after that: a script of exactly 255 bytes
// without a newline, whose interpreter name ends at the kernel's last buffer
// byte, ran its /tmp interpreter (the broker's parser stopped a byte short and
// saw no script). What a program maps or loads by itself (ld.so run
// directly, mmap) is no exec at all: rules on exec are an observation of
// which programs are started, not a boundary on code (docs/security.md).
import { expect, it } from 'vitest';

import { attackSuite, byProfile, matrix, outcomes, Scratch } from './harness';

const INTERPRETERS = [
  'shebang-tmp',
  'shebang-spaced',
  'shebang-255',
  'shebang-memfd',
  'pt-interp-tmp',
  'pt-interp-memfd',
];
const LOADERS = ['ldso-tmp', 'ldso-memfd', 'mmap-exec-tmp', 'mmap-exec-memfd'];
const HONEST = ['shebang-system', 'shebang-relative', 'dyn-system'];
const ATTEMPTS = [...INTERPRETERS, ...LOADERS, ...HONEST];

function expected(profile: string): Record<string, string> {
  const ran = Object.fromEntries(ATTEMPTS.map((a) => [a, 'ok']));
  return byProfile(profile, {
    strict: {
      ...Object.fromEntries(HONEST.map((a) => [a, 'ok'])),
      ...Object.fromEntries(INTERPRETERS.map((a) => [a, 'errno EACCES'])),
      'ldso-tmp': 'ok', // ld.so is a program of /lib64 that loads what it is told
      // ld.so's own read of /proc/self/fd/N is the kernel's under strict: a memfd is no path Landlock checks,
      // and what ld.so loads by itself is no exec (as mmap below): rules on exec do not bound code.
      'ldso-memfd': 'ok',
      'mmap-exec-tmp': 'ok',
      'mmap-exec-memfd': 'ok',
    },
    'ci-runner': ran, // every exec logged
    default: ran,
    observe: ran,
  });
}

attackSuite('attack: programs the kernel loads beyond the one execve names', (suite) => {
  it.each(matrix())('%s (%s): no interpreter runs from where the profile allows no program', async (profile, mode) => {
    const scratch = Scratch.create();
    scratch.install('exec-interp');
    scratch.install('exec-dyn');
    const before = mode === 'agent' ? suite.agent().audit().length : 0;
    const run = await suite.run({ profile, mode, program: 'exec-tricks', scratch });
    const detail = `${run.stdout}\n${run.stderr}`;
    expect(outcomes(run, [...ATTEMPTS, 'finished']), detail).toEqual({ ...expected(profile), finished: 'ok' });
    if (mode === 'agent' && profile === 'strict') {
      // Each refusal is audited with the program that was refused: the interpreter, not the script.
      const notes = suite
        .agent()
        .audit()
        .slice(before)
        .filter((r) => r.container_id === run.containerId && r.syscall === 'execve' && r.decision === 'deny')
        .map((r) => String((r.args as Record<string, unknown> | undefined)?.note));
      expect(notes.filter((n) => /^its "#!" interpreter \/tmp\/exec-tricks-self-\d+ is refused$/.test(n))).toHaveLength(
        2
      );
      expect(
        notes.filter((n) => /^its "#!" interpreter \/memfd:exec-tricks \(deleted\) is refused$/.test(n))
      ).toHaveLength(1);
      expect(
        notes.filter((n) => /^its program interpreter \(PT_INTERP\) \/tmp\/exec-tricks-interp-\d+ is refused$/.test(n))
      ).toHaveLength(1);
      expect(
        notes.filter((n) =>
          /^its program interpreter \(PT_INTERP\) \/memfd:exec-tricks \(deleted\) is refused$/.test(n)
        )
      ).toHaveLength(1);
    }
    await suite.expectContained(run, { outsideUnchanged: true });
  });
});
