// The component contract: start order, reverse stop, /health and /ready
// built from component reports, reloads handed to components.
import type { ComponentHealth } from '@zviz/shared/agent-api';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { freePort } from '@zviz/test-support/ports';
import { Agent, type ComponentFactory } from './agent';
import type { Component } from './component';
import { loadConfig } from './assembly/load-config';
import type { Config } from './assembly/config-sections';
import { AgentLog } from './log/logger';
import { Slicer } from './metrics/render';

class FakeComponent implements Component {
  report: ComponentHealth = { status: 'ok' };
  reloaded: Config | undefined;
  failStart = false;
  failReload = false;

  constructor(
    readonly name: string,
    readonly required: boolean,
    private readonly events: string[]
  ) {}

  async start(): Promise<void> {
    this.events.push(`start ${this.name}`);
    if (this.failStart) {
      throw new Error(`${this.name} cannot start: no seccomp`);
    }
  }

  async stop(): Promise<void> {
    this.events.push(`stop ${this.name}`);
  }

  health(): ComponentHealth {
    return this.report;
  }

  reload(config: Config): void {
    if (this.failReload) {
      throw new Error('cannot change that while running');
    }
    this.reloaded = config;
  }
}

const dirs: string[] = [];
let agent: Agent | undefined;

afterEach(async () => {
  vi.restoreAllMocks();
  await agent?.stop();
  agent = undefined;
  for (const dir of dirs.splice(0)) {
    rmSync(dir, { recursive: true, force: true });
  }
});

async function startAgent(
  factories: ComponentFactory[],
  extra = ''
): Promise<{ agent: Agent; url: string; path: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'zviz-agent-unit-'));
  dirs.push(dir);
  const port = await freePort();
  const path = join(dir, 'config.yaml');
  writeFileSync(path, `metrics:\n  address: 127.0.0.1:${port}\nlogging:\n  output: ${join(dir, 'zviz.log')}\n${extra}`);
  const loaded = loadConfig({ path, env: {} });
  if (!loaded.ok) {
    throw new Error(loaded.errors.join('\n'));
  }
  const log = AgentLog.create(loaded.config.logging);
  agent = await Agent.start({ config: loaded.config, load: { path, env: {} }, log, components: factories });
  return { agent, url: `http://127.0.0.1:${port}`, path };
}

describe('Agent', () => {
  it('starts components in order and stops them in reverse', async () => {
    const events: string[] = [];
    const { agent: a } = await startAgent([
      () => new FakeComponent('audit', false, events),
      () => new FakeComponent('broker', true, events),
      () => new FakeComponent('tracer', false, events),
    ]);
    await a.stop();
    agent = undefined;
    expect(events).toEqual(['start audit', 'start broker', 'start tracer', 'stop tracer', 'stop broker', 'stop audit']);
  });

  it('builds /health from the components: containers and broker from whoever reports them', async () => {
    const events: string[] = [];
    const broker = new FakeComponent('broker', true, events);
    broker.report = { status: 'ok', broker: { status: 'running', inflight: 5 } };
    const containers = new FakeComponent('containers', false, events);
    containers.report = { status: 'ok', containers: 42 };
    const { url } = await startAgent([() => broker, () => containers]);
    const health = await (await fetch(`${url}/health`)).json();
    expect(health).toMatchObject({
      status: 'healthy',
      containers: 42,
      broker: { status: 'running', inflight: 5 },
      components: { http: { status: 'ok' }, broker: { status: 'ok' }, containers: { status: 'ok', containers: 42 } },
    });
  });

  it('is degraded when an optional component is, and unhealthy (503) when a required one failed', async () => {
    const events: string[] = [];
    const tracer = new FakeComponent('tracer', false, events);
    tracer.report = { status: 'degraded', reason: 'no BTF: /sys/kernel/btf/vmlinux missing' };
    const broker = new FakeComponent('broker', true, events);
    broker.failStart = true;
    const { url } = await startAgent([() => tracer, () => broker]);

    const response = await fetch(`${url}/health`);
    expect(response.status).toBe(503);
    const health = await response.json();
    expect(health.status).toBe('unhealthy');
    expect(health.components.broker).toEqual({ status: 'failed', reason: 'broker cannot start: no seccomp' });
    expect(health.components.tracer.reason).toMatch(/no BTF/);

    const ready = await fetch(`${url}/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.text()).toBe('not ready: broker failed: broker cannot start: no seccomp\n');
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toContain('zviz_component_ready{component="broker"} 0');
    expect(metrics).toContain('zviz_component_ready{component="tracer"} 0');
    expect(metrics).toContain('zviz_component_ready{component="http"} 1');
  });

  it('serves only the families name[] asks for, and refuses a name that is not a metric name', async () => {
    const { url } = await startAgent([() => new FakeComponent('broker', true, [])]);
    const some = await (
      await fetch(`${url}/metrics?name[]=zviz_component_ready&name%5B%5D=zviz_build_info,zviz_not_a_family`)
    ).text();
    const families = new Set([...some.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]));
    expect(families).toEqual(new Set(['zviz_component_ready', 'zviz_build_info']));
    expect(some).toContain('zviz_component_ready{component="broker"} 1');
    const bad = await fetch(`${url}/metrics?name[]=zviz_build_info,rm%20-rf`);
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toMatch(/invalid name\[\]: "rm -rf" is not a metric name/);
    // Without name[], everything, as before.
    expect((await (await fetch(`${url}/metrics`)).text()).match(/^# TYPE /gm)!.length).toBeGreaterThan(50);
  });

  it('sends each scrape its own render: a body is reused only once its client has all of it', async () => {
    const { agent: a, url } = await startAgent([() => new FakeComponent('broker', true, [])]);
    // About 12 MiB of one family whose every value is the render's number:
    // more than loopback's socket buffers hold for a client that does not read.
    let generation = 0;
    const pad = 'x'.repeat(300);
    a.registry.addSource({
      families: ['zviz_container_uptime_seconds'],
      collect: () => {
        generation++;
        // 1000 + the render's number: as many digits at every render, so the body keeps its size.
        const samples = Array.from({ length: 40_000 }, (_, i) => ({
          labels: { container_id: `${pad}${i}` },
          value: 1000 + generation,
        }));
        return new Map([['zviz_container_uptime_seconds', samples]]);
      },
    });
    const generations = (text: string) =>
      new Set(
        [...text.matchAll(/^zviz_container_uptime_seconds\{[^}]*\} (\d+)$/gm)].map((m) => String(Number(m[1]) - 1000))
      );
    const { port } = new URL(url);

    // A client that asks and does not read yet.
    const slow = connect(Number(port), '127.0.0.1');
    slow.pause();
    const received: Buffer[] = [];
    slow.on('data', (chunk: Buffer) => received.push(chunk));
    const ended = new Promise((resolve) => slow.once('end', resolve));
    slow.write(`GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    // Rendered (and so written in part): meanwhile others scrape, plain and
    // gzipped, and their bodies are given back and reused.
    await vi.waitFor(
      () => expect(a.registry.lastScrape?.families.get('zviz_container_uptime_seconds')?.series).toBe(40_000),
      { timeout: 30_000 }
    );
    expect(generation).toBe(1);
    for (let i = 0; i < 3; i++) {
      const plainAnswer = await fetch(`${url}/metrics`);
      expect(plainAnswer.status).toBe(200);
      const plain = await plainAnswer.text();
      expect(generations(plain)).toEqual(new Set([String(generation)]));
      const zipped = await fetch(`${url}/metrics`, { headers: { 'Accept-Encoding': 'gzip' } });
      expect(zipped.headers.get('content-encoding')).toBe('gzip');
      // fetch decodes it: what it decoded is the render it asked for.
      expect(generations(await zipped.text())).toEqual(new Set([String(generation)]));
    }
    const steady = a.registry.renderBytesAllocated;
    for (let i = 0; i < 3; i++) {
      const plain = await fetch(`${url}/metrics`);
      expect(plain.status).toBe(200);
      await plain.arrayBuffer();
      const raw = await new Promise<Buffer>((resolve, reject) => {
        const req = connect(Number(port), '127.0.0.1');
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => resolve(Buffer.concat(chunks)));
        req.on('error', reject);
        req.write(`GET /metrics HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n`);
      });
      const split = raw.indexOf('\r\n\r\n');
      expect(raw.subarray(0, 12).toString('latin1')).toBe('HTTP/1.1 200');
      expect(generations(gunzipSync(raw.subarray(split + 4)).toString('utf8'))).toEqual(new Set([String(generation)]));
    }
    // Steady: the later renders reused the bytes given back (the slow client's body aside, which is
    // not reused). Each render is about 12 MiB: made afresh, the six would add some 70 MiB. The
    // agent's own families change length by a few digits between renders, which may take one more
    // slab once; more than a MiB is a render's bytes not reused.
    expect(a.registry.renderBytesAllocated - steady).toBeLessThan(1024 * 1024);
    expect(generation).toBe(13);

    slow.resume();
    await ended;
    const answer = Buffer.concat(received);
    const split = answer.indexOf('\r\n\r\n');
    const length = Number(/content-length: (\d+)/i.exec(answer.subarray(0, split).toString('latin1'))![1]);
    const body = answer.subarray(split + 4);
    expect(body.length).toBe(length);
    expect(length).toBeGreaterThan(10 * 2 ** 20);
    // All of it the first render's, none of the dozen that came after.
    expect(generations(body.toString('utf8'))).toEqual(new Set(['1']));
  }, 120_000);

  it('is ready once required components are ok, whatever the optional ones say', async () => {
    const events: string[] = [];
    const optional = new FakeComponent('tracer', false, events);
    optional.report = { status: 'disabled', reason: 'tracer.enabled is false' };
    const required = new FakeComponent('broker', true, events);
    required.report = { status: 'starting' };
    const { url } = await startAgent([() => optional, () => required]);
    expect((await fetch(`${url}/ready`)).status).toBe(503);
    required.report = { status: 'ok' };
    expect((await fetch(`${url}/ready`)).status).toBe(200);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).not.toContain('component="tracer"');
  });

  it('counts a degraded required component ready only when it says it still does its whole job', async () => {
    const events: string[] = [];
    const required = new FakeComponent('broker', true, events);
    required.report = { status: 'degraded', reason: 'the kernel is slow' };
    const { url } = await startAgent([() => required]);
    const notReady = await fetch(`${url}/ready`);
    expect(notReady.status).toBe(503);
    expect(await (await fetch(`${url}/metrics`)).text()).toContain('zviz_component_ready{component="broker"} 0');

    required.report = { status: 'degraded', reason: '1 configured container not started', ready: true };
    expect((await fetch(`${url}/ready`)).status).toBe(200);
    expect(await (await fetch(`${url}/metrics`)).text()).toContain('zviz_component_ready{component="broker"} 1');
    const health = (await (await fetch(`${url}/health`)).json()) as { status: string };
    expect(health.status).toBe('degraded');

    // A failed component cannot claim readiness.
    required.report = { status: 'failed', reason: 'gone', ready: true };
    expect((await fetch(`${url}/ready`)).status).toBe(503);
  });

  it('hands a reloaded configuration to every component, and counts a component refusing it', async () => {
    const events: string[] = [];
    const broker = new FakeComponent('broker', true, events);
    const { agent: a, path } = await startAgent([() => broker]);
    writeFileSync(path, `${readFileSync(path, 'utf8')}variant: canary\n`);
    expect(await a.reload()).toBe(true);
    expect(broker.reloaded?.variant).toBe('canary');
    expect(a.config.variant).toBe('canary');

    broker.failReload = true;
    expect(await a.reload()).toBe(false);
    const body = (await a.registry.scrape('text')).body.toString();
    expect(body).toContain('zviz_config_last_reload_successful 0');
    expect(body).toContain('zviz_config_reloads_total{result="failure"} 1');
  });

  it('counts a reload that throws unexpectedly as a failure, and still applies the next one', async () => {
    const { agent: a, path } = await startAgent([]);
    writeFileSync(path, `${readFileSync(path, 'utf8')}variant: canary\n`);
    // A fault inside the reload itself, not a refused file.
    const resize = vi.spyOn(a.hub, 'resize').mockImplementationOnce(() => {
      throw new Error('injected fault');
    });
    const signals = [a.reload(), a.reload(), a.reload()];
    expect(await Promise.all(signals)).toEqual([false, true, true]);
    expect(resize).toHaveBeenCalledTimes(3);
    const body = (await a.registry.scrape('text')).body.toString();
    expect(body).toContain('zviz_config_reloads_total{result="failure"} 1');
    expect(body).toContain('zviz_config_reloads_total{result="success"} 2');
    expect(body).toContain('zviz_config_last_reload_successful 1');
    expect(a.config.variant).toBe('canary');
  });

  it('shows each scrape one state: a reload lands wholly before or after it, never in the middle', async () => {
    const { agent: a, path } = await startAgent([() => new FakeComponent('broker', true, [])]);
    const base = readFileSync(path, 'utf8');
    // Every slice of a scrape ends at once, so each yields to the event loop
    // between its sources, as a scrape at a thousand containers does, and a
    // reload has every chance to land in the middle. Left to its 2 ms slices
    // a small scrape never yields: this loop then kept the reloads' file
    // reads from completing (a hang, in CI on a quick, quiet machine), and
    // the gate's absence went unseen in some runs.
    vi.spyOn(Slicer.prototype, 'due', 'get').mockReturnValue(true);
    // After n successful reloads the variant is this one: a scrape that
    // counts n reloads and shows another variant mixed two states.
    const variantAfter = (n: number) => (n === 0 ? 'production' : n % 2 ? 'canary' : 'staging');
    const reloads = 40;
    let done = false;
    const reloading = (async () => {
      for (let n = 1; n <= reloads; n++) {
        writeFileSync(path, `${base}variant: ${variantAfter(n)}\n`);
        expect(await a.reload()).toBe(true);
        // Let a scrape begin between two reloads.
        await new Promise((resolve) => setImmediate(resolve));
      }
    })().finally(() => {
      done = true;
    });
    const seen: Array<{ count: number; variant: string }> = [];
    while (!done) {
      const scrape = await a.registry.scrape('text');
      const body = scrape.body.toString();
      scrape.release();
      seen.push({
        count: Number(/^zviz_config_reloads_total\{result="success"\} (\d+)$/m.exec(body)?.[1]),
        variant: /^zviz_build_info\{[^}]*variant="([^"]*)"/m.exec(body)?.[1] ?? 'none',
      });
    }
    await reloading;
    expect(seen.filter(({ count, variant }) => variant !== variantAfter(count))).toEqual([]);
    // The scrapes ran among the reloads, not all before or after them.
    expect(new Set(seen.map(({ count }) => count)).size).toBeGreaterThan(2);
  });

  it('answers scrapes while a component takes its time to reload', async () => {
    // A tracer reloading its programs or configured containers starting can
    // take seconds: Prometheus must not see the agent down meanwhile.
    const slow = new FakeComponent('broker', true, []);
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    slow.reload = async (config: Config) => {
      await finished;
      slow.reloaded = config;
    };
    const { agent: a, url, path } = await startAgent([() => slow]);
    writeFileSync(path, `${readFileSync(path, 'utf8')}variant: canary\n`);
    const reloading = a.reload();
    await new Promise((resolve) => setImmediate(resolve));
    const during = await fetch(`${url}/metrics`);
    expect(during.status).toBe(200);
    const body = await during.text();
    // The reload has not ended: the scrape shows the state before it, whole.
    expect(body).toMatch(/^zviz_build_info\{[^}]*variant="production"/m);
    expect(body).toMatch(/^zviz_config_reloads_total\{result="success"\} 0$/m);
    expect(slow.reloaded).toBeUndefined();
    finish();
    expect(await reloading).toBe(true);
    const after = await (await fetch(`${url}/metrics`)).text();
    expect(after).toMatch(/^zviz_build_info\{[^}]*variant="canary"/m);
    expect(after).toMatch(/^zviz_config_reloads_total\{result="success"\} 1$/m);
  });

  it('keeps the running configuration when the file turns invalid', async () => {
    const { agent: a, path } = await startAgent([], 'variant: production\n');
    writeFileSync(path, 'variant: [not, a, string]\n');
    expect(await a.reload()).toBe(false);
    expect(a.config.variant).toBe('production');
  });
});
