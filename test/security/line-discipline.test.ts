// Attack class: a terminal's line discipline (attacks/line-discipline.c). On
// a pseudo-terminal of its own devpts the workload asks for another line
// discipline (TIOCSETD); one the kernel has not loaded is loaded for the
// asking by the node's root (tty_ldisc_autoload), which brings n_hdlc, n_gsm
// and the like into the node's kernel. Every filter refuses TIOCSETD with
// EPERM, by its request number (agent/src/profiles/syscall-families.ts), and
// the discipline read back is still N_TTY. The bare run shows the change is
// there to be made (N_NULL, built into the kernel), so the refusal is the
// filter's and not the kernel's.
import { readFileSync } from 'node:fs';

import { expect, it } from 'vitest';

import { attackSuite, matrix, outcomes } from './harness';

const N_TTY = '0';
const N_NULL = '27';

/** Whether this kernel has N_NULL built in or loaded (/proc/tty/ldiscs), so the bare run can make the change. */
function kernelHasNull(): boolean {
  return /^n_null\s+27$/m.test(readFileSync('/proc/tty/ldiscs', 'utf8'));
}

attackSuite('attack: changing a terminal line discipline (module autoload)', (suite) => {
  it('the bare kernel lets root change it', () => {
    // N_HDLC is left out here: on a node with modules it would load one.
    process.env.ZVIZ_ATTACK_SKIP_HDLC = '1';
    let bare;
    try {
      bare = suite.runBare('line-discipline');
    } finally {
      delete process.env.ZVIZ_ATTACK_SKIP_HDLC;
    }
    const got = outcomes({ results: bare.results } as never, ['ptmx', 'pts', 'slave-null', 'slave-null-now']);
    expect(got.ptmx, bare.stdout).toBe('ok');
    expect(got.pts, bare.stdout).toBe('ok');
    if (kernelHasNull()) {
      expect(got['slave-null'], bare.stdout).toBe('ok');
      expect(got['slave-null-now'], bare.stdout).toBe(N_NULL);
    } else {
      expect(got['slave-null-now'], bare.stdout).toBe(N_TTY);
    }
  });

  it.each(matrix())('%s (%s): refused, the discipline stays N_TTY', async (profile, mode) => {
    const run = await suite.run({ profile, mode, program: 'line-discipline' });
    const detail = `${run.stdout}\n${run.stderr}`;
    expect(
      outcomes(run, [
        'ptmx',
        'pts',
        'slave-null',
        'slave-null-now',
        'master-null',
        'master-null-now',
        'slave-hdlc',
        'slave-hdlc-now',
      ]),
      detail
    ).toEqual({
      ptmx: 'ok',
      pts: 'ok',
      'slave-null': 'errno EPERM',
      'slave-null-now': N_TTY,
      'master-null': 'errno EPERM',
      'master-null-now': N_TTY,
      'slave-hdlc': 'errno EPERM',
      'slave-hdlc-now': N_TTY,
    });
    await suite.expectContained(run, { outsideUnchanged: true });
  });
});
