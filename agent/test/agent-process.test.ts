// `zviz agent` as users run it: a child process through bin/zviz.js with a
// configuration file, answering on a free port; reloads, refusals, exit codes,
// and a real Prometheus scraping it.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { freePort, waitFor } from '@zviz/test-support/ports';
import { TestPrometheus } from '@zviz/test-support/prometheus';
import { binary, describeWhere } from '@zviz/test-support/requirements';
import { CATALOG } from '../src/metrics/catalog';
import { AgentProcess, sample, zviz, zvizAsync } from './support/agent-process';

/** Every family the monitoring guide names. */
const GUIDE_FAMILIES = CATALOG.filter((spec) => spec.knownAs?.some((k) => k.guide === 'monitoring')).map(
  (spec) => spec.name
);

describe('zviz agent', () => {
  let agent: AgentProcess;
  beforeAll(async () => {
    agent = await AgentProcess.start({ variant: 'canary', node_name: 'node-a', logging: { format: 'json' } });
  });
  afterAll(async () => {
    await agent.stop();
  });

  it("answers /health with the documented top-level fields (docs/agent.md, /health) and each component's status", async () => {
    const response = await fetch(`${agent.url}/health`);
    expect(response.status).toBe(200);
    const health = await response.json();
    expect(health).toMatchObject({
      status: 'healthy',
      version: expect.any(String),
      uptime: expect.any(Number),
      containers: 0,
      broker: { status: 'running', inflight: 0 },
      node: 'node-a',
      variant: 'canary',
      components: { http: { status: 'ok' }, audit: { status: 'ok', path: join(agent.dir, 'audit.json') } },
    });
  });

  it('answers /ready with 200, also to HEAD', async () => {
    expect((await fetch(`${agent.url}/ready`)).status).toBe(200);
    const head = await fetch(`${agent.url}/ready`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('exports its identity, readiness and own health on /metrics', async () => {
    const metrics = await agent.metrics();
    expect(metrics).toMatch(
      /^zviz_build_info\{version="[^"]+",variant="canary",commit="[^"]+",build_time="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"\} 1$/m
    );
    expect(sample(metrics, 'zviz_component_ready{component="audit"}')).toBe(1);
    expect(sample(metrics, 'zviz_config_last_reload_successful')).toBe(1);
    expect(sample(metrics, 'zviz_agent_resident_memory_bytes')).toBeGreaterThan(10e6);
    expect(sample(metrics, 'zviz_audit_events_dropped_total')).toBe(0);
  });

  it('serves OpenMetrics when asked, and gzip', async () => {
    const response = await fetch(`${agent.url}/metrics`, {
      headers: { Accept: 'application/openmetrics-text; version=1.0.0', 'Accept-Encoding': 'gzip' },
    });
    expect(response.headers.get('content-type')).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    expect(response.headers.get('content-encoding')).toBe('gzip');
    const text = await response.text(); // fetch undoes the gzip
    expect(text.endsWith('# EOF\n')).toBe(true);
  });

  it('writes its log as JSON lines in the format of docs/agent.md (Logs)', async () => {
    const line = agent.log.split('\n').find((l) => l.includes('agent started'));
    expect(JSON.parse(line!)).toMatchObject({ level: 'info', message: 'agent started', timestamp: expect.any(String) });
  });

  it('`zviz health` reports healthy with exit code 0', () => {
    const result = zviz(['health', '--config', agent.configPath]);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^healthy: version \S+, up \d+ s, 0 containers, broker running \(0 in flight\)$/m);
    const json = zviz(['health', '--config', agent.configPath, '--json']);
    expect(JSON.parse(json.stdout).status).toBe('healthy');
  });

  it("`zviz metrics` prints the running agent's exposition, found through the configuration", async () => {
    const result = await zvizAsync(['metrics', '--config', agent.configPath]);
    expect(result.status).toBe(0);
    expect(result.stderr).toBe('');
    // This agent's identity (variant canary), not a fresh process's (production).
    expect(result.stdout).toMatch(/^zviz_build_info\{[^}]*variant="canary"[^}]*\} 1$/m);
    expect(sample(result.stdout, 'zviz_component_ready{component="audit"}')).toBe(1);
  });
});

describe('reloading on SIGHUP', () => {
  it('applies a good file and keeps the running configuration when the new one is bad', async () => {
    const agent = await AgentProcess.start({ variant: 'production', logging: { format: 'json' } });
    try {
      const audit = join(agent.dir, 'audit.json');
      agent.rewrite(
        `variant: canary\nlogging:\n  format: json\n  audit:\n    path: ${audit}\nmetrics:\n  address: 127.0.0.1:${agent.port}\n`
      );
      agent.signal('SIGHUP');
      await waitFor('the new variant', async () => (await agent.metrics()).includes('variant="canary"'));
      const afterGood = await agent.metrics();
      expect(sample(afterGood, 'zviz_config_reloads_total{result="success"}')).toBe(1);

      agent.rewrite('variant: "not valid"\nlogging:\n  levle: debug\n');
      agent.signal('SIGHUP');
      await waitFor('the refused reload', async () =>
        (await agent.metrics()).includes('zviz_config_last_reload_successful 0')
      );
      const afterBad = await agent.metrics();
      expect(sample(afterBad, 'zviz_config_reloads_total{result="failure"}')).toBe(1);
      expect(afterBad).toContain('variant="canary"');
      expect(agent.log).toContain(`${agent.configPath}: logging.levle: unknown key`);
      expect((await fetch(`${agent.url}/health`)).status).toBe(200);
    } finally {
      expect(await agent.stop()).toBe(0);
    }
  });
});

describe('starting and stopping', () => {
  it('refuses an invalid file at start with exit code 2 and every error', () => {
    const result = zviz(['agent', '--config', join(__dirname, 'fixtures/config/out-of-range.yaml')]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^zviz: configuration refused \(5 errors\); nothing was started:$/m);
    expect(result.stderr).toContain('out-of-range.yaml: logging.audit.retention_days: must be at least 0 (got -1)');
  });

  it('stops on SIGTERM with exit code 0, flushing the audit log', async () => {
    const agent = await AgentProcess.start();
    agent.signal('SIGTERM');
    expect(await agent.exited()).toBe(0);
    expect(agent.log).toContain('agent stopped');
    expect(existsSync(join(agent.dir, 'audit.json'))).toBe(true);
    await agent.stop();
  });

  it('reports a component that cannot start as degraded, and `zviz health` exits 1', async () => {
    const agent = await AgentProcess.start({ logging: { audit: { path: '/proc/zviz-cannot-exist/audit.json' } } });
    try {
      const health = await (await fetch(`${agent.url}/health`)).json();
      expect(health.status).toBe('degraded');
      expect(health.components.audit).toMatchObject({ status: 'failed', reason: expect.stringMatching(/cannot open/) });
      const result = zviz(['health', '--config', agent.configPath]);
      expect(result.status).toBe(1);
      expect(result.stdout).toMatch(/^degraded: /);
      expect(result.stdout).toMatch(/audit +failed: cannot open/);
      // Not required for readiness: the sandbox does not wait for its audit log.
      expect((await fetch(`${agent.url}/ready`)).status).toBe(200);
    } finally {
      await agent.stop();
    }
  });

  it("`zviz metrics serve` is the agent under the guide's name: every component, every family of the guide", async () => {
    const served = await AgentProcess.start({}, { command: ['metrics', 'serve'] });
    try {
      const health = await (await fetch(`${served.url}/health`)).json();
      // The core's parts and every component `zviz agent` runs.
      expect(Object.keys(health.components).sort()).toEqual(['audit', 'broker', 'events', 'http', 'log', 'tracer']);
      const metrics = await served.metrics();
      for (const name of GUIDE_FAMILIES) {
        expect(metrics, name).toContain(`# TYPE ${name} `);
      }
      // The broker runs here: its families have samples, not only headers.
      expect(health.components.broker.status).toBe('ok');
      expect(sample(metrics, 'zviz_broker_requests_total')).toBe(0);
      expect(sample(metrics, 'zviz_containers_total')).toBe(0);
    } finally {
      await served.stop();
    }
  });
});

describe("the monitoring guide's two commands, as printed", () => {
  it('`zviz metrics serve --addr HOST:PORT` listens there with every family of the guide; `zviz metrics --addr HOST:PORT` prints that agent’s metrics', async () => {
    const addr = `127.0.0.1:${await freePort()}`;
    // The configuration names another port (and a private socket and cgroup group); --addr wins.
    const served = await AgentProcess.start(
      {},
      { command: ['metrics', 'serve', '--addr', addr], waitForHealth: false }
    );
    try {
      await waitFor(`the agent at ${addr}`, async () => (await fetch(`http://${addr}/ready`)).status === 200);
      await expect(fetch(`${served.url}/ready`)).rejects.toThrow();

      const printed = await zvizAsync(['metrics', '--addr', addr]);
      expect(printed.status).toBe(0);
      expect(printed.stderr).toBe('');
      for (const name of GUIDE_FAMILIES) {
        const type = CATALOG.find((spec) => spec.name === name)!.type;
        expect(printed.stdout, name).toContain(`# HELP ${name} `);
        expect(printed.stdout, name).toContain(`# TYPE ${name} ${type}\n`);
      }
      // Samples only the serving agent has: its broker and container manager run there.
      expect(sample(printed.stdout, 'zviz_broker_requests_total')).toBe(0);
      expect(sample(printed.stdout, 'zviz_broker_inflight')).toBe(0);
      expect(sample(printed.stdout, 'zviz_containers_total')).toBe(0);
      expect(sample(printed.stdout, 'zviz_security_denials_total{layer="broker"}')).toBe(0);
      expect(printed.stdout).toMatch(/^zviz_broker_latency_seconds_count 0$/m);
    } finally {
      await served.stop();
    }
  });
});

describe('command line', () => {
  it('`zviz metrics` with no agent answering prints its own exposition and says so', async () => {
    // A port just freed: nothing listens there.
    const port = await freePort();
    const result = zviz(['metrics', '--addr', `127.0.0.1:${port}`]);
    expect(result.status).toBe(0);
    expect(result.stderr).toMatch(
      new RegExp(`^zviz: no agent answers at http://127\\.0\\.0\\.1:${port}/metrics \\(ECONNREFUSED\\)`)
    );
    expect(result.stdout).toMatch(/^zviz_build_info\{[^}]*variant="production"/m);
    for (const name of GUIDE_FAMILIES) {
      expect(result.stdout, name).toContain(`# HELP ${name} `);
    }
    // No broker here: its families have no samples.
    expect(result.stdout).not.toMatch(/^zviz_broker_requests_total /m);
  });

  it('`zviz health` exits 3 when nothing answers', () => {
    const result = zviz(['health', '--addr', '127.0.0.1:1', '--timeout', '2']);
    expect(result.status).toBe(3);
    expect(result.stderr).toMatch(/^zviz: cannot reach the agent at http:\/\/127\.0\.0\.1:1\/health: /);
  });

  it.each([
    [['agent', '--bogus'], "zviz: unknown option '--bogus'", 'Usage: zviz agent [options]'],
    [
      ['metrics', 'serve', '--addr', 'nowhere'],
      `zviz: option '--addr <host:port>' argument 'nowhere' is invalid. "nowhere" is not an address`,
      'Usage: zviz metrics serve [options]',
    ],
    [
      ['health', '--timeout', 'soon'],
      "zviz: option '--timeout <seconds>' argument 'soon' is invalid.",
      'Usage: zviz health',
    ],
    [
      ['metrics', '--format', 'xml'],
      "zviz: option '--format <format>' argument 'xml' is invalid.",
      'Usage: zviz metrics',
    ],
    [['nonsense'], "zviz: unknown command 'nonsense'", 'Usage: zviz [options] [command]'],
  ])('%j is a usage error: exit 2, one line saying why, then the usage', (args, reason, usage) => {
    const result = zviz(args);
    expect(result.status).toBe(2);
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines[0].startsWith(reason)).toBe(true);
    expect(lines[1].startsWith(usage)).toBe(true);
  });

  it('prints help and the version with exit code 0', () => {
    const help = zviz(['metrics', 'serve', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--addr <host:port>');
    const version = zviz(['--version']);
    expect(version.status).toBe(0);
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
    expect(version.stdout.trim()).toBe(pkg.version);
  });
});

describeWhere([binary('prometheus')], 'a real Prometheus scraping the agent', () => {
  let agent: AgentProcess;
  let prometheus: TestPrometheus;
  const token = 'scrape-token-0123456789abcdef';

  beforeAll(async () => {
    agent = await AgentProcess.start({
      variant: 'canary',
      metrics: { auth: { type: 'bearer', token } },
    });
    prometheus = await TestPrometheus.start({
      scrapeInterval: '1s',
      scrape: [
        {
          job: 'zviz',
          targets: [`127.0.0.1:${agent.port}`],
          extra: { authorization: { type: 'Bearer', credentials: token } },
        },
      ],
    });
  });
  afterAll(async () => {
    await prometheus?.stop();
    await agent?.stop();
  });

  it("returns the agent's series through its query API", async () => {
    const [target] = await waitFor('the scrape to succeed', async () => {
      const targets = await prometheus.targets();
      return targets.length > 0 && targets[0].health === 'up' ? targets : undefined;
    });
    expect(target.lastError).toBe('');
    const info = await prometheus.waitForSamples('zviz_build_info');
    expect(info[0].metric).toMatchObject({ job: 'zviz', variant: 'canary', version: expect.any(String) });
    const ready = await prometheus.waitForSamples('zviz_component_ready');
    expect(ready.map((s) => s.metric.component).sort()).toEqual(['audit', 'broker', 'http', 'tracer']);
    // Prometheus asked for OpenMetrics; the counter reached it under its _total name.
    const requests = await prometheus.waitForSamples('zviz_http_requests_total{route="/metrics",code="200"}');
    expect(Number(requests[0].value![1])).toBeGreaterThan(0);
    expect(agent.log).not.toContain('"level":"error"');
  });
});
