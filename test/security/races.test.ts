// Attack class: path-rewriting races (attacks/race.c). A thread flips what
// an open points at (its path buffer, openat2's open_how, the directory
// descriptor, the working directory) between a harmless value and a
// forbidden one while the main thread opens, 10,000 times a race. The broker
// reads the path once and opens what it judged, so under `strict` no open
// returns forbidden bytes, and under `strict` and `ci-runner` no open is ever
// writable outside the workspace and nothing there changes.
import { expect, it } from 'vitest';

import { attackSuite, matrix, raceCounts } from './harness';

const READS = ['path-flip-read', 'dirfd-flip-read', 'cwd-flip-read'];
const WRITES = ['path-flip-create', 'openat2-path-flip-write'];
const WRITABLE = ['openat2-flags-flip', 'openat2-flags-flip-etc'];

attackSuite('attack: path-rewriting races', (suite) => {
  it.each(matrix())(
    '%s (%s): a rewritten path, open_how, directory descriptor or working directory never gets past the broker',
    async (profile, mode) => {
      const run = await suite.run({ profile, mode, program: 'race', args: ['10000'], timeoutMs: 90_000 });
      const readBoundary = profile === 'strict';
      const writeBoundary = profile === 'strict' || profile === 'ci-runner';
      // Every flipper flipped: no dup2 or chdir of theirs failed. Under `strict`
      // the outside directory cannot be opened or entered: it is not in the view
      // at all (its allow-list), so the working-directory flipper fails. The
      // directory-descriptor race falls back to `/etc` (which the view lists, as
      // its rules allow) and opens `shadow` there: not in the view (ENOENT). Its
      // reads are the kernel's, which reads the path once itself.
      const failedFlippers = [...run.results.keys()].filter((k) => k.endsWith('-flipper'));
      expect(failedFlippers).toEqual(readBoundary ? ['cwd-flip-read-flipper'] : []);
      if (readBoundary) {
        expect(run.results.get('cwd-flip-read-flipper')).toMatch(/^failed=[1-9]\d*$/);
      }

      for (const name of READS) {
        const counts = raceCounts(run, name);
        if (readBoundary) {
          expect({ name, leaked: counts.leaked }).toEqual({ name, leaked: 0 });
          // Both values were seen: the race really ran (but for the directories that cannot be opened or entered, above).
          expect(counts.opened, name).toBeGreaterThan(0);
          if (name === 'path-flip-read') {
            expect(counts.refused, name).toBeGreaterThan(0);
          }
        } else if (name !== 'path-flip-read') {
          // (A path torn by the flip can name nothing: ENOENT. A directory or a descriptor cannot be torn.)
          expect({ name, refused: counts.refused }).toEqual({ name, refused: 0 });
        }
      }
      for (const name of WRITES) {
        const counts = raceCounts(run, name);
        expect(counts.opened, name).toBeGreaterThan(0);
        if (writeBoundary) {
          expect(counts.refused, name).toBeGreaterThan(0);
        }
      }
      for (const name of WRITABLE) {
        const counts = raceCounts(run, name);
        if (writeBoundary) {
          expect({ name, writable: counts.writable }).toEqual({ name, writable: 0 });
          expect(counts.refused, name).toBeGreaterThan(0);
          if (!(readBoundary && name === 'openat2-flags-flip')) {
            // Reads of these files are allowed: the read half of the flip got through.
            expect(counts.opened, name).toBeGreaterThan(0);
          }
        }
      }
      await suite.expectContained(run, { outsideUnchanged: writeBoundary, secretKept: readBoundary });
      if (mode === 'agent' && writeBoundary) {
        // The broker saw the forbidden values and refused them: audited with the path it read.
        const agent = suite.agent();
        const refusedPaths = new Set(
          agent
            .audit()
            .filter((r) => r.container_id === run.containerId && r.decision === 'deny')
            .map((r) => (r.args as { path?: string } | undefined)?.path)
        );
        expect(refusedPaths).toContain(`${run.scratch.outside}/new-path-flip`);
        expect(refusedPaths).toContain(run.scratch.victimPath);
        if (readBoundary) {
          // strict's reads are the kernel's, not the broker's: the secret's path is no decision of its own
          // (the kernel answers ENOENT; docs/security.md, "Decisions and what they are").
          expect(refusedPaths).not.toContain(run.scratch.secretPath);
        }
      }
    },
    120_000
  );
});
