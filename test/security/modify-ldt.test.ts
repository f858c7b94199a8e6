// modify_ldt (attacks/modify-ldt.c): a 16-bit data segment in the workload's
// own local descriptor table, read back, then checked by the CPU (`lar`).
// Allowed under every profile, as Docker's and Podman's default profiles
// allow it on x86 (docs/profiles.md): Wine, DOS emulators and some i386
// programs need it, and the kernel keeps the table per process (the agent
// and other containers have their own). The outcome is the bare kernel's,
// and nothing outside the workspace changes.
import { arch } from 'node:os';

import { expect, it } from 'vitest';

import { attackSuite, matrix, outcomes } from './harness';

const NAMES = ['write-16bit', 'read', 'lar'];
const X86 = arch() === 'x64' || arch() === 'ia32';

attackSuite('attack: a 16-bit segment through modify_ldt', (suite) => {
  it('the bare kernel installs it', () => {
    const bare = suite.runBare('modify-ldt');
    if (!X86) {
      expect(bare.stdout).toContain('arch not-x86');
      return;
    }
    expect(outcomes({ results: bare.results } as never, NAMES), bare.stdout).toEqual({
      'write-16bit': 'ok',
      read: 'bytes=64',
      lar: 'ok db=0',
    });
  });

  it.each(matrix())('%s (%s): allowed, in its own table, as under Docker', async (profile, mode) => {
    const run = await suite.run({ profile, mode, program: 'modify-ldt' });
    const detail = `${run.stdout}\n${run.stderr}`;
    if (!X86) {
      expect(run.stdout, detail).toContain('arch not-x86');
      return;
    }
    expect(outcomes(run, NAMES), detail).toEqual({ 'write-16bit': 'ok', read: 'bytes=64', lar: 'ok db=0' });
    await suite.expectContained(run, { outsideUnchanged: true });
  });
});
