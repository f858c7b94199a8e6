// Attack class: the node's page cache as a channel between tenants
// (attacks/page-cache.c). A file of the node that every view shows read-only
// (base-files' GPL-3 under /usr: the same inode, so the same cached pages) is
// dropped from the cache by the workload, read on the node one page at a
// time meanwhile (here: one page, with no readahead), and the workload then
// names that page: mincore of a mapping and cachestat, which the kernel
// answers to the file's owner or a writer (restricted so in Linux 5.0 against
// this very attack), and the workload's root owns the node's root files.
// Not a boundary under any profile (Known limits): refusing mincore and
// cachestat would leave preadv2(RWF_NOWAIT), Linux AIO and the time a read
// takes, each of which tells a cached page from one that is not.
import { execFileSync } from 'node:child_process';
import { existsSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

import { waitFor } from '@zviz/test-support/ports';
import { ATTACK_BIN } from './attack-programs';
import { attackSuite, matrix, outcomes } from './harness';

const SHARED_FILE = '/usr/share/common-licenses/GPL-3';
const OVERLAYFS_MAGIC = 0x794c7630;

/**
 * What cachestat says of the page the node read. On overlayfs (a node whose
 * /usr is a container image's layer, or scripts/fresh-machine's rootfs) it
 * asks the overlay's own inode, whose mapping never holds the file's pages
 * (they are cached for the layer's file below), so it counts none; mincore,
 * through the mapping, which is the layer's file's, still names the page.
 */
function cachestatOfReadPage(): string {
  return statfsSync(SHARED_FILE).type === OVERLAYFS_MAGIC ? 'ok 0' : 'ok 1';
}

attackSuite('attack: the page cache of a node file the view shows', (suite) => {
  it.each(matrix())(
    '%s (%s): the workload names the page the node read (not a boundary, stated)',
    async (profile, mode) => {
      expect(existsSync(SHARED_FILE), `${SHARED_FILE} (Debian's base-files) is the file this test shares`).toBe(true);
      const pages = Math.ceil(statSync(SHARED_FILE).size / 4096);
      // A page inside the file, different from run to run, so that no answer is right by chance.
      const read = 1 + Math.floor(Math.random() * (pages - 2));
      const run = await suite.run({
        profile,
        mode,
        program: 'page-cache',
        args: [SHARED_FILE],
        whileRunning: async ({ scratch }) => {
          await waitFor('the workload to drop the pages', async () => existsSync(join(scratch.workspace, 'ready')), {
            timeoutMs: 30_000,
          });
          execFileSync(join(ATTACK_BIN, 'page-cache'), ['--read', SHARED_FILE, String(read)]);
          writeFileSync(join(scratch.workspace, 'go'), '');
        },
      });
      expect(
        outcomes(run, ['open', 'mincore-dropped', 'mincore', 'mincore-cached', 'cachestat', 'cachestat-cached']),
        `${run.stdout}\n${run.stderr}`
      ).toEqual({
        open: 'ok',
        // Its drop worked: none of the node's pages of the file stayed cached.
        'mincore-dropped': 'ok none',
        mincore: 'ok',
        // ...and then it saw exactly the page the node read.
        'mincore-cached': `ok ${read}`,
        cachestat: 'ok',
        'cachestat-cached': cachestatOfReadPage(),
      });
      await suite.expectContained(run, { outsideUnchanged: true, secretKept: true });
    }
  );
});
