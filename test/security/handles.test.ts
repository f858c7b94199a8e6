// Attack class: file handles (attacks/handles.c). open_by_handle_at opens a
// file by its inode, with no path any rule could judge; it needs
// CAP_DAC_READ_SEARCH, which no workload gets. The built-in profiles refuse
// both handle syscalls in the seccomp filter; under `observe` the kernel
// makes the handle of the secret but refuses to open it, or a forged one.
import { expect, it } from 'vitest';

import { fileTmpfs } from '@zviz/test-support/disk';

import { attackSuite, byProfile, matrix, outcomes, Scratch } from './harness';

function expected(profile: string): Record<string, string> {
  const refused = {
    'name-to-handle-secret': 'errno ENOSYS',
    'open-by-handle-secret': 'errno ENOSYS (no handle)',
    'open-by-forged-root-handle': 'errno ENOSYS',
    'open-by-handle-workspace': 'errno ENOSYS (no handle)',
  };
  return byProfile(profile, {
    default: refused,
    'ci-runner': refused,
    strict: refused,
    observe: {
      'name-to-handle-secret': 'ok',
      'open-by-handle-secret': 'errno EPERM',
      'open-by-forged-root-handle': 'errno EPERM',
      'open-by-handle-workspace': 'errno EPERM',
    },
  });
}

attackSuite('attack: file handles (name_to_handle_at, open_by_handle_at)', (suite) => {
  // The same answers on any host: making a handle is the file system's to
  // allow, and /var/lib may be overlayfs, which makes none (fileTmpfs).
  const fs = fileTmpfs('/var/lib');
  it.each(matrix())('%s (%s): no file is opened by its handle', async (profile, mode) => {
    const run = await suite.run({ profile, mode, program: 'handles', scratch: Scratch.create({}, fs.dir) });
    const want = expected(profile);
    expect(outcomes(run, Object.keys(want))).toEqual(want);
    await suite.expectContained(run, { outsideUnchanged: true, secretKept: true });
  });
});
