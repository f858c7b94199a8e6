// What V8 compiles while the plugin answers its first QueryData, script by
// script: the built bundle run by plain Node through sea-main.cjs (as the
// executable runs it) under --log-function-events, with a code cache trained
// by the build's own training run under the same flags (V8 takes a cache only
// under the flags it was made with). Every function V8 parses or compiles
// between the query being sent and its answer is one the code cache or Node's
// embedded cache did not hold; the figures are V8's own timings of those
// steps, which other jobs on the machine inflate less than wall time.
//
// Run: npx tsx bench/backend/first-query-compiles.ts (after npm run build -w
// pkg-backend). PROFILE_DELAY_MS (default 0) waits that long after the
// handshake before asking, e.g. 2000 to come after the warm-up.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { GrafanaClient } from '../../pkg-backend/test/fixtures/grafana-client';
import type { Network } from '../../pkg-backend/src/sdk/handshake';
import { BUNDLE_RUNNER, pluginEnv, startRangeAnswerServer, upRangeQuery } from './plugin-process';

const root = join(__dirname, '..', '..', 'pkg-backend');
const bundle = join(root, 'build', 'main.js');

// Loaded with --require: the benchmark marks the query's start and end with
// SIGUSR2, and the first executions of these two functions land in V8's log.
const MARKER = `'use strict';
let marks = 0;
function zvizQueryStart() {}
function zvizQueryEnd() {}
process.on('SIGUSR2', () => (marks++ ? zvizQueryEnd() : zvizQueryStart()));
`;

const COMPILE_EVENTS = new Set([
  'parse-function',
  'preparse-no-resolution',
  'preparse-resolution',
  'interpreter',
  'full-parse',
  'parse-script',
  'interpreter-eval',
  'parse-eval',
]);

interface Totals {
  ms: number;
  count: number;
}

function add(map: Map<string, Totals>, key: string, ms: number) {
  const t = map.get(key) ?? { ms: 0, count: 0 };
  t.ms += ms;
  t.count++;
  map.set(key, t);
}

function top(map: Map<string, Totals>, n: number): string {
  return [...map]
    .sort((a, b) => b[1].ms - a[1].ms)
    .slice(0, n)
    .map(([k, v]) => `  ${v.ms.toFixed(2).padStart(7)} ms ${String(v.count).padStart(5)}  ${k}`)
    .join('\n');
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'zviz-compiles-'));
  const marker = join(dir, 'marker.cjs');
  writeFileSync(marker, MARKER);
  const seaMain = join(dir, 'runner.cjs');
  writeFileSync(seaMain, BUNDLE_RUNNER);
  // One log file for both runs: its name is a V8 flag, and V8's flag hash must match.
  const log = join(dir, 'v8.log');
  const flags = ['--require', marker, '--log-function-events', `--logfile=${log}`, '--no-logfile-per-isolate'];
  const cache = join(dir, 'main.js.cache');
  const { trainCodeCache } = await import('../../pkg-backend/scripts/train-code-cache.mjs');
  await trainCodeCache({ root, seaMain, bundle, cache, nodeArgs: flags });
  renameSync(log, join(dir, 'train.log'));

  const prom = await startRangeAnswerServer();
  GrafanaClient.preload();
  const child = spawn(process.execPath, [...flags, seaMain, bundle, cache], {
    env: pluginEnv('debug'),
    stdio: 'pipe',
  });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  const line = await new Promise<string>((r) => child.stdout.once('data', (c) => r(c.toString().split('\n')[0])));
  await new Promise((r) => setTimeout(r, Number(process.env.PROFILE_DELAY_MS ?? 0)));
  child.kill('SIGUSR2');
  await new Promise((r) => setTimeout(r, 100));
  const client = new GrafanaClient({ network: 'unix', path: line.split('|')[3] } as Network);
  const { port } = prom.address() as { port: number };
  const answer = await client.queryDataRaw([upRangeQuery()], {
    uid: 'p',
    jsonData: { prometheusUrl: `http://127.0.0.1:${port}`, agents: ['127.0.0.1:1'] },
  });
  if (answer.A.error) throw new Error(answer.A.error);
  child.kill('SIGUSR2');
  await new Promise((r) => setTimeout(r, 100));
  client.close();
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  prom.close();
  console.log('code cache', /code_cache":"(\w+)/.exec(stderr)?.[1]);

  const scripts = new Map<string, string>();
  const events: string[][] = [];
  for (const l of readFileSync(log, 'utf8').split('\n')) {
    const f = l.split(',');
    if (f[0] === 'script-details') scripts.set(f[1], f[2] || `(script ${f[1]})`);
    if (f[0] === 'function') events.push(f);
  }
  const at = (name: string) => Number(events.find((f) => f[1] === 'first-execution' && f[7] === name)?.[6]);
  const start = at('zvizQueryStart');
  const end = at('zvizQueryEnd');
  const byScript = new Map<string, Totals>();
  const byKind = new Map<string, Totals>();
  const byFunction = new Map<string, Totals>();
  const firstRuns = new Map<string, Totals>();
  for (const f of events) {
    const ts = Number(f[6]);
    if (!(ts > start && ts < end)) continue;
    const script = (scripts.get(f[2]) ?? f[2]).replace(/^node:/, '');
    if (f[1] === 'first-execution') {
      add(firstRuns, script, 0);
      continue;
    }
    if (!COMPILE_EVENTS.has(f[1])) continue;
    const ms = Number(f[5]);
    add(byScript, script, ms);
    add(byKind, f[1], ms);
    add(byFunction, `${f[7] || '(anonymous)'} ${script}:${f[3]}`, ms);
  }
  console.log(`window ${((end - start) / 1000).toFixed(1)} ms (marks included)`);
  console.log('compile steps by kind:\n' + top(byKind, 20));
  console.log('compile steps by script:\n' + top(byScript, 30));
  console.log('by function:\n' + top(byFunction, 30));
  console.log(
    'functions run for the first time, by script (count):\n' +
      [...firstRuns]
        .sort((a, b) => b[1].count - a[1].count)
        .slice(0, 25)
        .map(([k, v]) => `  ${String(v.count).padStart(5)}  ${k}`)
        .join('\n')
  );
  console.log('log', log);
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
