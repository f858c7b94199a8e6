// The packaged executable, started the way Grafana's plugin host starts it:
// the handshake environment, the stdout handshake line, hclog JSON on stderr,
// gRPC over the announced socket, and a clean exit on SIGTERM or when the
// host process dies (never because of what stdin does).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { describeWhere, file } from '@zviz/test-support/requirements';

import { FakeUpstream, json, promMatrix } from './fixtures/fake-upstream';
import { FixtureAgent } from './fixtures/fixture-agent';
import { GrafanaClient } from './fixtures/grafana-client';
import { executable, HANDSHAKE_ENV, start } from './fixtures/plugin-process';

const arm64 = join(dirname(executable), 'gpx_zviz_linux_arm64');

/**
 * 256 bytes from the middle of the V8 code cache the build made
 * (scripts/build.mjs): found in an executable only if the cache is in it.
 * (The asset's name is no evidence: sea-main.cjs, in every executable, spells it.)
 */
function codeCacheSample(): Buffer {
  const cache = readFileSync(join(__dirname, '..', 'build', 'main.js.cache'));
  return cache.subarray(cache.length >> 1, (cache.length >> 1) + 256);
}

// Built on x64 from the official arm64 Node binary of the same version; this
// machine cannot run it (qemu-user spins on Node 20), so the checks are
// structural: an aarch64 ELF, executable, its SEA fuse flipped, the bundle in.
describeWhere(
  [
    () => (process.arch === 'x64' ? undefined : 'the arm64 executable is cross-built on x64 only'),
    file(arm64, 'needs the cross-built arm64 executable (npm run build -w pkg-backend)'),
  ],
  'gpx_zviz_linux_arm64',
  () => {
    it('is an executable aarch64 ELF with the single executable fuse flipped and the bundle injected', () => {
      expect(statSync(arm64).mode & 0o777).toBe(0o755);
      const bytes = readFileSync(arm64);
      expect(bytes.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
      expect(bytes.readUInt16LE(18)).toBe(183); // e_machine EM_AARCH64
      expect(bytes.includes('NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2:1')).toBe(true);
      expect(bytes.includes('zviz-plugin-')).toBe(true);
      // A V8 code cache fits only the node binary that made it (the x64 one).
      expect(bytes.includes(codeCacheSample())).toBe(false);
    });
  }
);

/** The first hclog entry on the plugin's stderr whose message is `message`, once it is there. */
function logEntry(plugin: Awaited<ReturnType<typeof start>>, message: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const find = () => {
      const line = plugin.stderr
        .join('')
        .split('\n')
        .find((l) => l.includes(`"@message":${JSON.stringify(message)}`));
      if (line) {
        resolve(JSON.parse(line) as Record<string, unknown>);
        return true;
      }
      return false;
    };
    if (!find()) {
      plugin.child.stderr.on('data', find);
      plugin.child.once('exit', () => reject(new Error(`exited before logging ${message}: ${plugin.stderr.join('')}`)));
    }
  });
}

describe('gpx_zviz executable', () => {
  it('is built as an executable file', () => {
    expect(statSync(executable).mode & 0o777).toBe(0o755);
  });

  it("bundles grpc-js' server without its client (channels, load balancers, retries)", () => {
    // esbuild's record of what the bundle holds (scripts/build.mjs writes it).
    const meta = JSON.parse(readFileSync(join(__dirname, '..', 'build', 'meta.json'), 'utf8'));
    const grpc = Object.keys(meta.inputs)
      .filter((path) => path.includes('@grpc/grpc-js/build/src/'))
      .map((path) => path.replace(/.*@grpc\/grpc-js\/build\/src\//, ''));
    expect(grpc).toEqual(expect.arrayContaining(['server.js', 'server-call.js', 'resolver-uds.js']));
    for (const client of ['client.js', 'channel.js', 'internal-channel.js', 'subchannel.js', 'retrying-call.js']) {
      expect(grpc).not.toContain(client);
    }
    expect(grpc.filter((path) => path.startsWith('load-balancer'))).toEqual([]);
  });

  it('holds neither long.js nor any other WebAssembly: V8 compiles none at start', () => {
    const meta = JSON.parse(readFileSync(join(__dirname, '..', 'build', 'meta.json'), 'utf8'));
    expect(Object.keys(meta.inputs).filter((path) => path.includes('node_modules/long/'))).toEqual([]);
    expect(readFileSync(join(__dirname, '..', 'build', 'main.js'), 'latin1')).not.toMatch(/WebAssembly\./);
  });

  it('carries its bundle and code cache after every segment the loader maps, so they are read, never resident', () => {
    const bytes = readFileSync(executable);
    // build.mjs' appendPayload: [bundle][cache][bundle length, cache length: u32 LE]['gpx_zviz payload'].
    expect(bytes.subarray(-16).toString('latin1')).toBe('gpx_zviz payload');
    const payloadStart =
      bytes.length - 24 - bytes.readUInt32LE(bytes.length - 20) - bytes.readUInt32LE(bytes.length - 24);
    expect(bytes.subarray(payloadStart, payloadStart + 200).toString('latin1')).toBe(
      readFileSync(join(__dirname, '..', 'build', 'main.js'), 'latin1').slice(0, 200)
    );
    // ELF64 program headers: e_phoff at 32, e_phentsize at 54, e_phnum at 56; PT_LOAD is 1.
    const [phoff, phentsize, phnum] = [
      Number(bytes.readBigUInt64LE(32)),
      bytes.readUInt16LE(54),
      bytes.readUInt16LE(56),
    ];
    let loadedEnd = 0;
    for (let i = 0; i < phnum; i++) {
      const header = phoff + i * phentsize;
      if (bytes.readUInt32LE(header) === 1) {
        const end = Number(bytes.readBigUInt64LE(header + 8) + bytes.readBigUInt64LE(header + 32));
        loadedEnd = Math.max(loadedEnd, end);
      }
    }
    expect(loadedEnd).toBeGreaterThan(0);
    expect(payloadStart).toBeGreaterThanOrEqual(loadedEnd);
  });

  it('says what is wrong when its bundle is missing (a copy cut short), instead of starting', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zviz-cut-'));
    try {
      const bytes = readFileSync(executable);
      const cut = join(dir, 'gpx_zviz_linux_amd64');
      writeFileSync(cut, bytes.subarray(0, bytes.length - 1000), { mode: 0o755 });
      const result = spawnSync(cut, [], { encoding: 'utf8', env: { PATH: process.env.PATH, ...HANDSHAKE_ENV } });
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('the gpx_zviz executable carries no bundle');
      expect(result.stdout).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to run by hand, saying that Grafana starts it', () => {
    const result = spawnSync(executable, [], { encoding: 'utf8', env: { PATH: process.env.PATH } });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/Grafana backend plugin: Grafana starts it/);
    expect(result.stdout).toBe('');
  });

  it('refuses a host that does not offer protocol version 2', () => {
    const result = spawnSync(executable, [], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, grafana_plugin_type: 'datasource', PLUGIN_PROTOCOL_VERSIONS: '1' },
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/offers plugin protocol version\(s\) 1, this plugin speaks version 2/);
  });

  it('hands shake, serves every service over the socket and exits cleanly on SIGTERM', async () => {
    const agent = await FixtureAgent.start();
    const plugin = await start();
    const client = new GrafanaClient(plugin.address);
    try {
      expect(plugin.line).toMatch(/^1\|2\|unix\|\/.+\/plugin\.sock\|grpc$/);
      expect(await client.healthCheck('plugin')).toEqual({ status: 'SERVING' });
      const config = { jsonData: { agents: [agent.address] } };
      const { A } = await client.queryData([{ refId: 'A', model: { queryType: 'health' }, from: 0, to: 1 }], config);
      expect(A.frames[0].fields[0].values).toEqual([agent.address]);
      expect((await client.checkHealth(config)).status).toBe('OK');
      expect(JSON.parse((await client.callResource('containers', config)).body).containers).toHaveLength(2);
      const metrics = await client.collectMetrics();
      expect(metrics).toContain('zviz_datasource_queries_total{query_type="health",status="ok"} 1');
      // The process metrics, whose CPU counters are the one user of the
      // OpenTelemetry API that the bundle replaces (scripts/build.mjs).
      expect(metrics).toMatch(/^process_cpu_seconds_total \d/m);
    } finally {
      client.close();
      await agent.stop();
    }
    plugin.child.kill('SIGTERM');
    expect(await plugin.exited).toBe(0);
    if (plugin.address.network === 'unix') {
      expect(existsSync(dirname(plugin.address.path))).toBe(false);
    }
    const entries = plugin.stderr
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(entries.every((e) => e['@level'] && e['@message'] && /\.\d{6}Z$/.test(e['@timestamp']))).toBe(true);
    expect(entries.map((e) => e['@message'])).toContain('shutting down');
  });

  it('starts from the V8 code cache its build made, which V8 accepts', async () => {
    expect(readFileSync(executable).includes(codeCacheSample())).toBe(true);
    const plugin = await start();
    try {
      const serving = await logEntry(plugin, 'plugin serving');
      expect(serving.code_cache).toBe('used');
    } finally {
      plugin.child.kill('SIGTERM');
      await plugin.exited;
    }
  });

  it("compiles Node's built-in modules from Node's own code cache, although it sets V8 flags before its bundle", async () => {
    // The executable's start-up, from sea-main.cjs and the built bundle under
    // plain Node (the internal binding that tells needs a Node option, which
    // the executable does not take), through a first query and the warm-up.
    const prometheus = await FakeUpstream.start({ '*': json(promMatrix(1000)) });
    const build = join(__dirname, '..', 'build');
    const scratch = mkdtempSync(join(tmpdir(), 'zviz-builtins-'));
    const child = spawn(
      process.execPath,
      [
        '--expose-internals',
        '-r',
        join(__dirname, 'fixtures', 'builtin-cache-probe.cjs'),
        join(__dirname, '..', 'scripts', 'sea-main.cjs'),
        join(build, 'main.js'),
        join(scratch, 'cache'),
      ],
      { env: { PATH: process.env.PATH ?? '', ...HANDSHAKE_ENV, ZVIZ_LOG_LEVEL: 'debug' }, stdio: 'pipe' }
    );
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    let client: GrafanaClient | undefined;
    try {
      const line = await new Promise<string>((resolve, reject) => {
        child.stdout.setEncoding('utf8').once('data', (chunk: string) => resolve(chunk.split('\n')[0]));
        child.once('exit', (code) => reject(new Error(`exited with ${code} before the handshake: ${stderr}`)));
      });
      client = new GrafanaClient({ network: 'unix', path: line.split('|')[3] });
      const config = { jsonData: { prometheusUrl: prometheus.url, agents: ['127.0.0.1:1'] } };
      const window = { from: 1_700_000_000_000, to: 1_700_000_000_000 + 999 * 15_000 };
      const answers = await client.queryDataRaw(
        [{ refId: 'A', model: { queryType: 'promql', expr: 'zviz_fake' }, ...window }],
        config
      );
      expect(answers.A.error).toBe('');
      await new Promise<void>((resolve) => {
        const poll = setInterval(() => {
          if (stderr.includes('query path warm')) {
            clearInterval(poll);
            resolve();
          }
        }, 20);
      });
    } finally {
      client?.close();
      child.kill('SIGTERM');
      await exited;
      await prometheus.stop();
      rmSync(scratch, { recursive: true, force: true });
    }
    const report = /^builtin-cache-probe (.*)$/m.exec(stderr);
    expect(report, stderr).not.toBeNull();
    const usage = JSON.parse(report![1]) as { withCache: string[]; withoutCache: string[] };
    // What the plugin loads and serves with: HTTP/2, the HTTP client, streams.
    expect(usage.withCache).toEqual(expect.arrayContaining(['http2', 'internal/http2/core', '_http_client', 'zlib']));
    expect(usage.withoutCache).toEqual([]);
  });

  it('warms its query path before the handshake line without asking any upstream, and counts no query for it', async () => {
    const prometheus = await FakeUpstream.start({ '*': json(promMatrix(1000)) });
    const plugin = await start();
    const client = new GrafanaClient(plugin.address);
    try {
      const warmed = await logEntry(plugin, 'query path warmed');
      // A 100-point frame (8-byte times and values), encoded as QueryData's response message.
      expect(warmed.bytes).toBeGreaterThan(1_600);
      // Before the line that follows the handshake on the same stream.
      await logEntry(plugin, 'plugin serving');
      const log = plugin.stderr.join('');
      expect(log.indexOf('"query path warmed"')).toBeLessThan(log.indexOf('"plugin serving"'));
      expect(prometheus.received).toEqual([]);
      expect(await client.collectMetrics()).not.toMatch(/^zviz_datasource_queries_total\{/m);
      const config = { jsonData: { prometheusUrl: prometheus.url, agents: ['127.0.0.1:1'] } };
      const window = { from: 1_700_000_000_000, to: 1_700_000_000_000 + 999 * 15_000 };
      const answers = await client.queryDataRaw(
        [{ refId: 'A', model: { queryType: 'promql', expr: 'zviz_fake' }, ...window }],
        config
      );
      expect(answers.A.error).toBe('');
      expect(prometheus.received.map((r) => r.path)).toEqual(['/api/v1/query_range']);
      expect(await client.collectMetrics()).toMatch(
        /^zviz_datasource_queries_total\{query_type="promql",status="ok"\} 1$/m
      );
    } finally {
      client.close();
      await prometheus.stop();
      plugin.child.kill('SIGTERM');
      await plugin.exited;
    }
  });

  it("gives back what start-up and the warm-up left in V8's heap, and leaves V8's flags as they were", async () => {
    const plugin = await start({ ZVIZ_LOG_LEVEL: 'debug' });
    try {
      const released = await logEntry(plugin, 'start-up heap released');
      expect(released['@level']).toBe('debug');
      expect(released.collections).toBe(2);
      expect(released.flagsRestored).toBe(true);
      expect(released.rss_mib).toBeGreaterThan(0);
    } finally {
      plugin.child.kill('SIGTERM');
      await plugin.exited;
    }
  });

  it('answers a query sent at the handshake with its path already warm, and that query is the only request upstream', async () => {
    const prometheus = await FakeUpstream.start({ '*': json(promMatrix(1000)) });
    const plugin = await start();
    const client = new GrafanaClient(plugin.address);
    try {
      const config = { jsonData: { prometheusUrl: prometheus.url, agents: ['127.0.0.1:1'] } };
      const window = { from: 1_700_000_000_000, to: 1_700_000_000_000 + 999 * 15_000 };
      const answers = await client.queryDataRaw(
        [{ refId: 'A', model: { queryType: 'promql', expr: 'zviz_fake' }, ...window }],
        config
      );
      expect(answers.A.error).toBe('');
      await logEntry(plugin, 'plugin serving');
      const log = plugin.stderr.join('');
      expect(log.indexOf('"query path warmed"')).toBeGreaterThanOrEqual(0);
      expect(log.indexOf('"query path warmed"')).toBeLessThan(log.indexOf('"plugin serving"'));
      expect(log).not.toContain('query path warm-up skipped');
      expect(prometheus.received.map((r) => r.path)).toEqual(['/api/v1/query_range']);
    } finally {
      client.close();
      await prometheus.stop();
      plugin.child.kill('SIGTERM');
      await plugin.exited;
    }
  });

  it('sleeps when idle: its main thread wakes about once a second, not a hundred times', async () => {
    // prom-client samples event loop delay with a timer (every 10 ms by
    // default, which woke the idle plugin ~87 times a second); the plugin
    // starts its process metrics at the first scrape only, and its host
    // watcher looks once a second.
    const plugin = await start();
    try {
      const wakeups = () => {
        const status = readFileSync(`/proc/${plugin.child.pid}/status`, 'utf8');
        return Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)![1]);
      };
      // Counted once start-up's last work, the heap release after the warm-up, is over.
      await logEntry(plugin, 'start-up heap released');
      const before = wakeups();
      await new Promise((resolve) => setTimeout(resolve, 3000));
      const perSecond = (wakeups() - before) / 3;
      expect(perSecond).toBeGreaterThan(0);
      expect(perSecond).toBeLessThan(5);
    } finally {
      plugin.child.kill('SIGTERM');
      await plugin.exited;
    }
  });

  it('keeps serving when its stdin is an already-closed pipe, as Go plugins ignore stdin', async () => {
    // `echo | grafana-server` and some supervisors hand go-plugin a pipe that
    // is already at end-of-file; go-plugin passes it on to the plugin.
    const plugin = await start({}, { stdinClosedPipe: true });
    const client = new GrafanaClient(plugin.address);
    try {
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(plugin.child.exitCode).toBeNull();
      expect(await client.healthCheck('plugin')).toEqual({ status: 'SERVING' });
    } finally {
      client.close();
    }
    plugin.child.kill('SIGTERM');
    expect(await plugin.exited).toBe(0);
  });

  it('exits, removing its socket, when the host process dies without a word', async () => {
    // The host is killed with SIGKILL: no Shutdown call, no signal reaches the plugin.
    const host = spawn(
      process.execPath,
      [
        '-e',
        `const { spawn } = require('node:child_process');
         const p = spawn(process.argv[1], [], { stdio: ['ignore', 'pipe', 'ignore'], env: process.env });
         p.stdout.on('data', (d) => process.stdout.write(p.pid + ' ' + d));
         setInterval(() => {}, 1000);`,
        executable,
      ],
      { env: { PATH: process.env.PATH ?? '', ...HANDSHAKE_ENV }, stdio: ['ignore', 'pipe', 'inherit'] }
    );
    const line = await new Promise<string>((resolve) => {
      let out = '';
      host.stdout.setEncoding('utf8').on('data', (c: string) => {
        out += c;
        if (out.includes('\n')) {
          resolve(out.split('\n')[0]);
        }
      });
    });
    const [pid, handshake] = line.split(' ');
    const socket = handshake.split('|')[3];
    expect(existsSync(socket)).toBe(true);
    host.kill('SIGKILL');
    await expect.poll(() => existsSync(`/proc/${pid}`), { timeout: 10_000 }).toBe(false);
    expect(existsSync(dirname(socket))).toBe(false);
  });

  it('writes only hclog JSON to stderr, even for requests of many upstream calls', async () => {
    // Slow answers keep every upstream call of a request in flight at once.
    const prometheus = await FakeUpstream.start({ '*': json(promMatrix(10), 200, 150) });
    const plugin = await start();
    const client = new GrafanaClient(plugin.address);
    try {
      const config = { jsonData: { prometheusUrl: prometheus.url, agents: ['127.0.0.1:1'] } };
      const window = { from: 1_700_000_000_000, to: 1_700_000_150_000 };
      const promql = Array.from({ length: 12 }, (_, i) => ({
        refId: `P${i}`,
        model: { queryType: 'promql', expr: 'zviz_fake' },
        ...window,
      }));
      const decisions = Array.from({ length: 4 }, (_, i) => ({
        refId: `D${i}`,
        queryType: 'decisions',
        model: {},
        ...window,
      }));
      const answers = await client.queryDataRaw([...promql, ...decisions], config);
      expect(Object.keys(answers)).toHaveLength(16);
      expect(answers.P0.error).toBe('');
      expect(prometheus.received.length).toBeGreaterThanOrEqual(12 + 4 * 3);
    } finally {
      client.close();
      await prometheus.stop();
    }
    plugin.child.kill('SIGTERM');
    expect(await plugin.exited).toBe(0);
    const lines = plugin.stderr
      .join('')
      .split('\n')
      .filter((l) => l !== '');
    const notJson = lines.filter((l) => {
      try {
        const entry = JSON.parse(l) as Record<string, unknown>;
        return !(entry['@level'] && entry['@message'] && entry['@timestamp']);
      } catch {
        return true;
      }
    });
    expect(notJson).toEqual([]);
    // Listening to one call's end from many upstream requests is no leak, so nothing warns of one.
    expect(lines.filter((l) => l.includes('MaxListeners'))).toEqual([]);
  });
});
