#!/usr/bin/env node
// Scrape cost of the agent's /metrics exposition at 10,000 and 50,000 series:
// `node bench/scrape/run.mjs` (or `npm run bench:scrape`). Each size runs in
// a fresh process (bench.ts) so its memory figures are its own; this script
// bundles bench.ts with the agent's esbuild, runs the sizes one after the
// other and prints a table with the references measured in the same process.
//
// Options: --sizes 10000,50000  --runs 30  --json (print the raw results)
// ZVIZ_BENCH_SHORT=1: one small size and a few runs, to check the bench runs (CI does).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(join(repo, 'agent', 'package.json'));
const { build } = require('esbuild');

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const short = process.env.ZVIZ_BENCH_SHORT === '1';
const sizes = option('sizes', short ? '2000' : '10000,50000')
  .split(',')
  .map(Number);
const runs = Number(option('runs', short ? '3' : '30'));

const dir = mkdtempSync(join(tmpdir(), 'zviz-bench-scrape-'));
try {
  const outfile = join(dir, 'bench.js');
  await build({
    entryPoints: [join(repo, 'bench/scrape/bench.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    nodePaths: [join(repo, 'node_modules'), join(repo, 'agent/node_modules')],
    logLevel: 'warning',
  });

  const results = sizes.map((size) => {
    const child = spawnSync(process.execPath, [outfile, String(size), String(runs)], { encoding: 'utf8' });
    if (child.status !== 0) {
      process.stderr.write(child.stderr);
      throw new Error(`benchmark for ${size} series failed (exit ${child.status})`);
    }
    return JSON.parse(child.stdout.trim().split('\n').pop());
  });

  if (args.includes('--json')) {
    console.log(JSON.stringify(results, null, 2));
  }
  const ms = (x) => x.toFixed(1);
  const goal = (r) => (r.series > 25000 ? 100 : 20);
  const rows = [
    [
      'series',
      'containers',
      'zviz text median ms (p95)',
      'zviz text main-thread CPU median ms',
      'zviz OpenMetrics median ms',
      'goal ms',
      'event-loop lag max ms (p99)',
      'idle lag max ms (p99)',
      'prom-client render ms',
      'prom-client CPU ms',
      'zviz / prom-client (CPU)',
      'join ms',
      'zviz / join',
      'RSS MiB (max)',
      'main arena MiB',
      'body KiB',
    ],
    ...results.map((r) => [
      String(r.series),
      String(r.containers),
      `${ms(r.zvizTextMedianMs)} (${ms(r.zvizTextP95Ms)})`,
      ms(r.zvizTextCpuMs),
      ms(r.zvizOpenMetricsMedianMs),
      `< ${goal(r)}`,
      `${ms(r.loopLagMaxMs)} (${ms(r.loopLagP99Ms)})`,
      `${ms(r.idleLagMaxMs)} (${ms(r.idleLagP99Ms)})`,
      ms(r.promClientMedianMs),
      ms(r.promClientCpuMs),
      `${(r.zvizTextMedianMs / r.promClientMedianMs).toFixed(2)} (${(r.zvizTextCpuMs / r.promClientCpuMs).toFixed(2)})`,
      ms(r.joinMedianMs),
      (r.zvizTextMedianMs / r.joinMedianMs).toFixed(1),
      `${r.rssAfterMiB.toFixed(0)} (${r.maxRssMiB.toFixed(0)})`,
      r.mainArenaMiB.toFixed(1),
      (r.bytes / 1024).toFixed(0),
    ]),
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  const line = (row) => `| ${row.map((cell, c) => cell.padEnd(widths[c])).join(' | ')} |`;
  console.log(`node ${process.version}, ${runs} runs per size after 5 warm-up runs`);
  console.log(line(rows[0]));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  rows.slice(1).forEach((row) => console.log(line(row)));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
