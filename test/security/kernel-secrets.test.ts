// Attack class: what the kernel tells about itself that helps an exploit
// (attacks/kernel-secrets.c): kernel addresses in /proc/kallsyms and
// /proc/iomem, the physical frame of the workload's own page in
// /proc/self/pagemap, kernel memory in /proc/kcore, the firmware's tables in
// /sys/firmware, and (docs/security.md's later round) every page frame's
// flags and counts in /proc/kpageflags and /proc/kpagecount, the slab caches
// in /proc/slabinfo and the kernel's physical address in
// /sys/kernel/vmcoreinfo. The bare run (root with every capability) is shown first, so
// the program is known to find them where they are shown. In the sandbox the
// kernel hides addresses and frames from a task without CAP_SYSLOG and
// CAP_SYS_ADMIN (zeros), and the view masks /proc/kcore, /sys/firmware and the rest
// (docs/security.md, "Who the workload is").
import { existsSync } from 'node:fs';

import { expect, it } from 'vitest';

import { attackSuite, byProfile, matrix, outcomes } from './harness';

const READS = [
  'kallsyms',
  'iomem',
  'kcore',
  'firmware',
  'pagemap-pfn',
  'kpageflags',
  'kpagecount',
  'slabinfo',
  'vmcoreinfo',
];

/** What a masked file reads as in the sandbox, or ENOENT where this kernel does not have it. */
function masked(path: string, empty: string): string {
  return existsSync(path) ? empty : 'errno ENOENT';
}
/** Masked (an empty read-only file) where the kernel has /proc/kcore; this kernel may not have it at all. */
const KCORE_HIDDEN = ['ok read=0', 'errno ENOENT'];

attackSuite('attack: kernel addresses, physical frames, kernel memory and firmware tables', (suite) => {
  it('the bare kernel shows them to root', () => {
    const bare = suite.runBare('kernel-secrets');
    const shown = outcomes({ results: bare.results } as never, [
      'kallsyms',
      'pagemap-pfn',
      'kpageflags',
      'slabinfo',
      'vmcoreinfo',
    ]);
    expect(shown.kallsyms, bare.stdout).toMatch(/^ok lines=some nonzero=[1-9]\d*$/);
    expect(shown['pagemap-pfn'], bare.stdout).toBe('ok present=1 pfn=shown');
    expect(shown.kpageflags, bare.stdout).toMatch(
      existsSync('/proc/kpageflags') ? /^ok nonzero=[1-9]\d*$/ : /^errno ENOENT$/
    );
    expect(shown.slabinfo, bare.stdout).toMatch(
      existsSync('/proc/slabinfo') ? /^ok lines=[1-9]\d*$/ : /^errno ENOENT$/
    );
    expect(shown.vmcoreinfo, bare.stdout).toMatch(
      existsSync('/sys/kernel/vmcoreinfo') ? /^ok lines=some nonzero=1$/ : /^errno ENOENT$/
    );
  });

  it.each(matrix())('%s (%s): none is shown', async (profile, mode) => {
    const run = await suite.run({ profile, mode, program: 'kernel-secrets' });
    const detail = `${run.stdout}\n${run.stderr}`;
    const got = outcomes(run, READS);
    expect(KCORE_HIDDEN, detail).toContain(got.kcore);
    delete got.kcore;
    expect(got, detail).toEqual({
      kallsyms: 'ok lines=some nonzero=0',
      iomem: 'ok lines=some nonzero=0',
      // strict's view has no /sys (its reads are the kernel's: ENOENT); elsewhere an empty mask.
      firmware: byProfile(profile, {
        strict: 'errno ENOENT',
        'ci-runner': 'ok 0',
        default: 'ok 0',
        observe: 'ok 0',
      }),
      'pagemap-pfn': 'ok present=1 pfn=zero',
      kpageflags: masked('/proc/kpageflags', 'ok nonzero=0'),
      kpagecount: masked('/proc/kpagecount', 'ok nonzero=0'),
      slabinfo: masked('/proc/slabinfo', 'ok lines=0'),
      vmcoreinfo: profile === 'strict' ? 'errno ENOENT' : masked('/sys/kernel/vmcoreinfo', 'ok lines=none nonzero=0'),
    });
    await suite.expectContained(run, { outsideUnchanged: true });
  });
});
