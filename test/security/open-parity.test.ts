// Attack class: opens an emulating broker could answer otherwise than the
// kernel (attacks/open-parity.c): O_CREAT|O_EXCL and O_NOFOLLOW on dangling
// links, O_TMPFILE and its link, paths at PATH_MAX and at a page's end,
// reopens through /proc/self/fd of pipes, sockets, memfds, pidfds, epoll and
// eventfd descriptors and of a read-only descriptor, /proc/self/map_files.
// Everything stays in the workspace, where every profile allows it: the bare
// kernel's answers (the first test runs the program outside any sandbox) are
// every profile's, but for the differences stated here; and nothing an
// attempt must not create exists (the link targets, a link of an O_EXCL
// temporary file).
import { expect, it } from 'vitest';

import { attackSuite, byProfile, matrix } from './harness';

const MUST_NOT_EXIST = [
  'excl-target-exists',
  'nofollow-target-exists',
  'chain-target-exists',
  'tmp-excl-linked-exists',
];

attackSuite('attack: opens the broker must answer as the kernel does', (suite) => {
  let bare: Map<string, string> | undefined;
  const reference = () => (bare ??= suite.runBare('open-parity').results);

  it('the bare kernel never follows a dangling link for O_EXCL or O_NOFOLLOW', () => {
    const ref = reference();
    expect(ref.get('finished')).toBe('ok');
    for (const key of MUST_NOT_EXIST) {
      expect(ref.get(key), key).toBe('no');
    }
    expect(ref.get('excl-dangling')).toBe('errno EEXIST');
    expect(ref.get('nofollow-dangling')).toBe('errno ELOOP');
    expect(ref.get('path-4095')).toBe('ok');
    expect(ref.get('path-4096')).toBe('errno ENAMETOOLONG');
    expect(ref.get('page-end-no-nul')).toBe('errno EFAULT');
  });

  it.each(matrix())("%s (%s): the kernel's answers", async (profile, mode) => {
    const run = await suite.run({ profile, mode, program: 'open-parity' });
    const ref = reference();
    const differs: Record<string, { kernel?: string; sandbox?: string }> = {};
    for (const [key, want] of ref) {
      if (run.results.get(key) !== want) {
        differs[key] = { kernel: want, sandbox: run.results.get(key) };
      }
    }
    // The stated differences. map_files needs CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE of the node's
    // user namespace, which the bare run as root has and no workload does (the kernel refuses). Where
    // the broker judges writes by path, a memfd reopened through /proc/self/fd is judged by its name
    // ("/memfd:odd (deleted)"), which no rule allows: refused (docs/security.md, Known limits), as
    // is strict's read-write reopen of an eventfd, which the kernel refuses too (ENXIO).
    const mapFiles = { 'map-files': { kernel: 'ok', sandbox: 'errno EPERM' } };
    const memfd = {
      memfd: { kernel: 'ok', sandbox: 'errno EACCES' },
      'memfd-sealed-write': { kernel: 'ok', sandbox: 'errno EACCES' },
    };
    const expected = byProfile<Record<string, { kernel?: string; sandbox?: string }>>(profile, {
      strict: { ...mapFiles, ...memfd, eventfd: { kernel: 'errno ENXIO', sandbox: 'errno EACCES' } },
      'ci-runner': { ...mapFiles, ...memfd },
      default: mapFiles,
      observe: mapFiles,
    });
    expect(differs, `${run.stdout}\n${run.stderr}`).toEqual(expected);
    for (const key of MUST_NOT_EXIST) {
      expect(run.results.get(key), key).toBe('no');
    }
    await suite.expectContained(run, { outsideUnchanged: true, secretKept: true });
  });
});
