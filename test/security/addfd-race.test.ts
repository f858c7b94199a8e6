// Attack class: the descriptor number an emulated open is installed at,
// fought over by another thread of the opener (attacks/addfd-race.c):
// close_range and dup2 of /dev/null over the numbers the next open takes, in
// a tight loop, under 20,000 opens. The broker installs with
// SECCOMP_IOCTL_NOTIF_ADDFD and SECCOMP_ADDFD_FLAG_SEND, never naming a
// number (no SECCOMP_ADDFD_FLAG_SETFD): the kernel takes the lowest free one
// in the opener's table and fills it as it answers, so a racing dup2 meets
// EBUSY, and the opener ends up with the file it asked for or with what its
// own thread put there afterwards. Never a descriptor nobody judged, never one
// of its other descriptors replaced, and no error.
import { expect, it } from 'vitest';

import { attackSuite, matrix, outcomes } from './harness';

attackSuite('attack: the descriptor number an open is installed at', (suite) => {
  it.each(matrix())('%s (%s): every open gets its file or what the racing thread put there', async (profile, mode) => {
    const run = await suite.run({ profile, mode, program: 'addfd-race', timeoutMs: 120_000 });
    const detail = `${run.stdout}\n${run.stderr}`;
    expect(outcomes(run, ['kept', 'finished']), detail).toEqual({ kept: 'ok', finished: 'ok' });
    const [rounds, target, devnull, closed, other, errors] = run.results.get('addfd-race')!.split(' ').map(Number);
    expect({ other, errors }, detail).toEqual({ other: 0, errors: 0 });
    expect(target + devnull + closed, detail).toBe(rounds);
    expect(target, detail).toBeGreaterThan(0);
    await suite.expectContained(run, { outsideUnchanged: true });
  });
});
