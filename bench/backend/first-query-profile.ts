// Profiles what the plugin's first QueryData costs it: runs the built bundle
// under plain Node with --cpu-prof, compiled with the build's code cache as
// sea-main.cjs compiles it in the executable, asks one promql query of a
// stand-in Prometheus (PROFILE_DELAY_MS after the handshake, 0 by default)
// and sums the profile's samples between the handshake and the answer by
// script and by function. Run: npx tsx bench/backend/first-query-profile.ts
// (after npm run build -w pkg-backend). V8 samples on wall time: on a busy
// machine a descheduled thread's samples land on whatever it was running.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { GrafanaClient } from '../../pkg-backend/test/fixtures/grafana-client';
import type { Network } from '../../pkg-backend/src/sdk/handshake';
import { BUNDLE_RUNNER, pluginEnv, startRangeAnswerServer, upRangeQuery } from './plugin-process';

const root = join(__dirname, '..', '..', 'pkg-backend');
// PROFILE_PERF=1: Linux perf on CPU time (task-clock) instead of V8's sampler,
// which samples on wall time: on a busy machine that one charges a thread's
// waits to whatever it was running.
const PERF = process.env.PROFILE_PERF === '1';
// setup.sh does not install perf: this profiler is run by hand, never by npm test.
if (PERF && spawnSync('sh', ['-c', 'command -v perf'], { stdio: 'ignore' }).status !== 0) {
  console.error('PROFILE_PERF=1 needs Linux perf: apt-get install linux-perf');
  process.exit(2);
}
const extra = (process.env.PROFILE_NODE_ARGS ?? '').split(' ').filter(Boolean);

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'zviz-prof-'));
  writeFileSync(join(dir, 'runner.cjs'), BUNDLE_RUNNER);
  const prom = await startRangeAnswerServer();
  GrafanaClient.preload();
  // Node's perf flags change V8's flag hash, so V8 would refuse the build's
  // cache: a first run under the same flags makes one (written at its exit).
  const cache = PERF ? join(dir, 'perf.cache') : join(root, 'build/main.js.cache');
  for (const pass of PERF ? ['cache', 'profile'] : ['profile']) {
    const child = spawn(
      process.execPath,
      [
        ...(PERF
          ? ['--perf-basic-prof', '--interpreted-frames-native-stack']
          : ['--cpu-prof', '--cpu-prof-interval', '100', '--cpu-prof-dir', dir]),
        ...extra,
        join(dir, 'runner.cjs'),
        join(root, 'build/main.js'),
        cache,
      ],
      {
        env: pluginEnv('debug'),
        stdio: 'pipe',
      }
    );
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += c));
    const line = await new Promise<string>((r) => child.stdout.once('data', (c) => r(c.toString().split('\n')[0])));
    await new Promise((res) => setTimeout(res, Number(process.env.PROFILE_DELAY_MS ?? 0)));
    let perf: ReturnType<typeof spawn> | undefined;
    if (pass === 'profile' && PERF) {
      perf = spawn(
        'perf',
        [
          'record',
          '-q',
          '-e',
          'task-clock',
          '-F',
          '20000',
          '-g',
          '-p',
          String(child.pid),
          '-o',
          join(dir, 'perf.data'),
        ],
        { stdio: 'ignore' }
      );
      await new Promise((res) => setTimeout(res, 500));
    }
    const askedUs = Number(process.hrtime.bigint() / 1000n);
    const [, , , addr] = line.split('|');
    const client = new GrafanaClient({ network: 'unix', path: addr } as Network);
    const { port } = prom.address() as { port: number };
    const t = process.hrtime.bigint();
    const r = await client.queryDataRaw([upRangeQuery()], {
      uid: 'p',
      jsonData: { prometheusUrl: `http://127.0.0.1:${port}`, agents: ['127.0.0.1:1'] },
    });
    const answeredUs = Number(process.hrtime.bigint() / 1000n);
    if (r.A.error) throw new Error(r.A.error);
    console.log(`first query wall ${(Number(process.hrtime.bigint() - t) / 1e6).toFixed(1)} ms`);
    client.close();
    if (pass === 'cache') {
      await new Promise((res) => setTimeout(res, 1500));
      child.kill('SIGTERM');
      await new Promise((res) => child.once('exit', res));
      continue;
    }
    console.log('code cache', /code_cache":"(\w+)/.exec(stderr)?.[1]);
    if (perf) {
      perf.kill('SIGINT');
      await new Promise((res) => perf!.once('exit', res));
      child.kill('SIGTERM');
      await new Promise((res) => child.once('exit', res));
      prom.close();
      const report = spawnSync(
        'perf',
        [
          'report',
          '-i',
          join(dir, 'perf.data'),
          '--stdio',
          '--no-children',
          '-g',
          'none',
          '--sort',
          'dso,sym',
          '--percent-limit',
          '0.7',
        ],
        { encoding: 'utf8' }
      );
      console.log(
        report.stdout
          .split('\n')
          .filter((l) => l && !l.startsWith('#'))
          .slice(0, 45)
          .join('\n')
      );
      return;
    }
    await new Promise((res) => setTimeout(res, 300));
    child.kill('SIGTERM');
    await new Promise((res) => child.once('exit', res));
    prom.close();
    const m = /code_cache":"(\w+)/.exec(stderr);
    console.log('code cache', m?.[1]);
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))!;
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    type ProfileNode = { id: number; callFrame: { functionName: string; url: string; lineNumber: number } };
    const byId = new Map<number, ProfileNode>((profile.nodes as ProfileNode[]).map((n) => [n.id, n]));
    let t0 = profile.startTime;
    const self = new Map<string, number>();
    const byUrl = new Map<string, number>();
    let total = 0;
    let before = 0;
    const WINDOW_END = answeredUs;
    for (let i = 0; i < profile.samples.length; i++) {
      t0 += profile.timeDeltas[i];
      const n = byId.get(profile.samples[i])!;
      const cf = n.callFrame;
      if (cf.functionName === '(idle)') continue;
      const dt = profile.timeDeltas[i + 1] ?? 0;
      if (t0 < askedUs) {
        before += dt;
        continue;
      }
      if (t0 > WINDOW_END) continue;
      total += dt;
      const key = `${cf.functionName || '(anon)'} ${cf.url.replace(/.*\//, '')}:${cf.lineNumber}`;
      self.set(key, (self.get(key) ?? 0) + dt);
      const u = cf.url ? cf.url.replace(/^node:/, '') : cf.functionName;
      byUrl.set(u, (byUrl.get(u) ?? 0) + dt);
    }
    console.log(
      `sampled non-idle before handshake ${(before / 1000).toFixed(1)} ms; handshake..answer ${(total / 1000).toFixed(1)} ms`
    );
    const top = (m: Map<string, number>, n: number) =>
      [...m]
        .sort((a, b) => b[1] - a[1])
        .slice(0, n)
        .map(([k, v]) => `  ${(v / 1000).toFixed(2)} ${k}`)
        .join('\n');
    console.log('by script:\n' + top(byUrl, 30));
    console.log('by function:\n' + top(self, 40));
    console.log('profile', join(dir, file));
  }
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
