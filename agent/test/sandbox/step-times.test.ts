// The broker's step timer (native/src/broker/step_times.h), the diagnostic
// bench:broker and bench:demo print: with ZVIZ_BROKER_STEP_TIMES set, `zviz
// run` writes at exit one histogram per step, and every emulated open and
// every answered notification is in it exactly once (and once more in the
// split of the latency by what was answered). No timing is judged
// here, only that each step is counted where it happens.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';

import { describeWhere, file, root, seccompUserNotif } from '@zviz/test-support/requirements';
import { BIN, buildWorkloads, workspace } from './harness';

const ZVIZ = join(__dirname, '..', '..', 'bin', 'zviz.js');
const DIST = join(__dirname, '..', '..', 'dist', 'zviz.js');

/** A workspace holding the opener: strict runs programs only from system directories and the workspace. */
function withOpener(): { ws: string; opener: string } {
  buildWorkloads();
  const ws = workspace();
  const opener = join(ws, 'opener');
  copyFileSync(join(BIN, 'opener'), opener);
  return { ws, opener };
}

interface Step {
  count: number;
  mean: number;
  p50: number;
  p99: number;
  max: number;
  above100us: number;
}

interface Slow {
  us: number;
  kind: string;
  first: boolean;
  cold: boolean;
  nr: number;
  idle_us: number;
  steps: Record<string, number>;
}

describeWhere(
  [root, seccompUserNotif, file(DIST, 'needs the built agent (npm run build)')],
  'broker step timer (ZVIZ_BROKER_STEP_TIMES)',
  () => {
    it('counts every emulated open in each step it went through, and every answer once', () => {
      const { ws, opener } = withOpener();
      const dir = mkdtempSync(join(tmpdir(), 'zviz-steps-'));
      const out = join(dir, 'steps.json');
      try {
        // Under strict every write is emulated (its reads are the kernel's,
        // docs/security.md, "Emulated opens"): two writes allowed and
        // reopened, one refused by the rules (never reopened), and a
        // truncating create of a file that exists (counted apart).
        const existing = join(ws, 'truncated.txt');
        writeFileSync(existing, 'content the open truncates\n');
        const kept = [join(ws, 'kept-1.txt'), join(ws, 'kept-2.txt')];
        kept.forEach((path) => writeFileSync(path, 'kept\n'));
        const result = spawnSync(
          process.execPath,
          [
            ZVIZ,
            'run',
            '--standalone',
            '--profile',
            'strict',
            '--workdir',
            ws,
            '--',
            opener,
            `w:${kept[0]}`,
            `w:${kept[1]}`,
            'w:/etc/hostname',
            `c:${existing}`,
            `c:${join(ws, 'created.txt')}`,
          ],
          { encoding: 'utf8', timeout: 30_000, env: { ...process.env, ZVIZ_BROKER_STEP_TIMES: out } }
        );
        expect(result.status, result.stderr).toBe(0);
        expect(result.stdout).toContain('errno EACCES');
        const written = JSON.parse(readFileSync(out, 'utf8')) as {
          unit: string;
          steps: Record<string, Step>;
          slow: Slow[];
        };
        const steps = written.steps;
        expect(Object.keys(steps)).toEqual([
          'dispatch',
          'path',
          'bases',
          'valid',
          'resolve',
          'name',
          'judge',
          'reopen',
          'truncate',
          'create.dir',
          'create.room',
          'create',
          'answer',
          'record',
          'release',
          'total',
          'idle',
          'latency',
          'latency.continue',
          'latency.refused',
          'latency.open',
          'latency.truncate',
          'latency.fifo',
          'latency.other',
          'latency.first',
          'latency.cold',
          'latency.less_truncate',
        ]);
        // The opener's own five: the dynamic loader's opens are reads, the kernel's.
        const opens = steps.dispatch.count;
        expect(opens).toBe(5);
        for (const name of ['path', 'bases', 'valid', 'resolve', 'answer', 'record', 'release', 'total']) {
          expect({ name, count: steps[name].count }).toEqual({ name, count: opens });
        }
        // The create judges its directory and the name in a step of its own.
        for (const name of ['name', 'judge']) {
          expect({ name, count: steps[name].count }).toEqual({ name, count: opens - 1 });
        }
        expect(steps.idle.count).toBe(opens - 1);
        // Everything but the refused write and the create was reopened; the truncating open apart.
        expect(readFileSync(existing, 'utf8')).toBe('');
        expect(readFileSync(join(ws, 'created.txt'), 'utf8')).toBe('');
        expect(steps.truncate.count).toBe(1);
        expect(steps.create.count).toBe(1);
        expect(steps['create.dir'].count).toBe(1);
        expect(steps['create.room'].count).toBe(1);
        expect(steps.reopen.count).toBe(opens - 3);
        // Every answered notification, opens or not (the execve of the opener), as the summary counts them.
        const decisions = Number(/broker: (\d+) decisions/.exec(result.stderr)?.[1]);
        expect(steps.latency.count).toBe(decisions);
        expect(decisions).toBeGreaterThan(opens);
        // The split by what was answered holds each answer once: the opens
        // apart (the refused write among the refusals, the truncating create
        // on its own), the opener's execve among the CONTINUEs.
        const split = ['continue', 'refused', 'open', 'truncate', 'fifo', 'other'].map(
          (k) => steps[`latency.${k}`].count
        );
        expect(split.reduce((a, b) => a + b, 0)).toBe(decisions);
        expect(steps['latency.truncate'].count).toBe(1);
        expect(steps['latency.open'].count).toBe(opens - 2); // the create among them
        expect(steps['latency.refused'].count).toBeGreaterThanOrEqual(1);
        expect(steps['latency.continue'].count).toBeGreaterThanOrEqual(1);
        expect(steps['latency.fifo'].count).toBe(0);
        // Every decision again, less its truncating reopen: what the latency
        // holds beyond the less_truncate figure is exactly the truncate step
        // (sums from the means, each rounded to a nanosecond).
        expect(steps['latency.less_truncate'].count).toBe(decisions);
        const sum = (st: Step) => st.mean * st.count;
        const takenOut = sum(steps.latency) - sum(steps['latency.less_truncate']);
        expect(Math.abs(takenOut - sum(steps.truncate))).toBeLessThan(0.001 * (decisions + 1) + 0.01);
        expect(steps.truncate.mean).toBeGreaterThan(0);
        // One container: its first 16 notifications, and the first of all found the thread idle.
        expect(steps['latency.first'].count).toBe(Math.min(16, decisions));
        expect(steps['latency.cold'].count).toBeGreaterThanOrEqual(1);
        expect(steps['latency.cold'].count).toBeLessThanOrEqual(decisions);
        // Quantiles are bucket midpoints (buckets 12.5 % wide): ordered, and within half a bucket of the maximum.
        for (const [name, s] of Object.entries(steps)) {
          const ordered = s.count === 0 || (s.p50 <= s.p99 && s.p99 <= s.max * 1.0625 + 0.001);
          expect({ name, ordered }).toEqual({ name, ordered: true });
          // Counted exactly, not by bucket: none above 100 µs when the slowest was not.
          expect({ name, above: s.above100us <= s.count && (s.max > 100 || s.above100us === 0) }).toEqual({
            name,
            above: true,
          });
        }
        // The decisions above 100 µs, each kept with its kind and laps: as many as counted above 100 µs.
        expect(written.slow.length).toBe(steps.latency.above100us);
        const kinds = ['continue', 'refused', 'open', 'truncate', 'fifo', 'other'].map((k) => `latency.${k}`);
        for (const d of written.slow) {
          expect(d.us).toBeGreaterThan(100);
          expect(kinds).toContain(d.kind);
          // An open's laps add up to no more than its latency (the answer's own lap ends after it).
          const before = Object.entries(d.steps)
            .filter(([step]) => step !== 'answer')
            .reduce((sum, [, us]) => sum + us, 0);
          expect(before).toBeLessThanOrEqual(d.us + 0.01);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
);
