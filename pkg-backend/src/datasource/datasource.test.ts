// The datasource end to end over gRPC, against a real Prometheus (Debian's,
// with backfilled history, scraping the fixture agents) and fixture agents
// speaking the agent API's JSON.
import { DECISIONS } from '@zviz/shared/agent-api';
import { AUDIT_FIELDS, DECISION_TREND_FRAME, DECISIONS_FRAME, HEALTH_FRAME } from '@zviz/shared/frames';
import { binary, describeWhere } from '@zviz/test-support/requirements';
import { freePort } from '@zviz/test-support/ports';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { startEnvironment, silentServer, type Environment } from '../../test/fixtures/environment';
import { FixtureAgent, fixtureEvent } from '../../test/fixtures/fixture-agent';
import type { DecodedFrame } from '../frames/arrow';
import { P99_SECONDS, RATES, STEP_SECONDS } from '../../test/fixtures/history';

let env: Environment;
let staticConfig: { uid: string; jsonData: Record<string, unknown> };
let discoveryConfig: { uid: string; jsonData: Record<string, unknown> };

function values(frame: DecodedFrame, name: string): unknown[] {
  const field = frame.fields.find((f) => f.name === name);
  if (!field) {
    throw new Error(`frame ${frame.name} has no field ${name}: ${frame.fields.map((f) => f.name).join(', ')}`);
  }
  return field.values;
}

describeWhere([binary('prometheus'), binary('promtool', 'prometheus')], 'ZViz datasource over gRPC', () => {
  beforeAll(async () => {
    env = await startEnvironment();
    // Distinct uids: instances are cached per uid and lastUpdatedMS, as Grafana's SDK does.
    staticConfig = {
      uid: 'static',
      jsonData: { prometheusUrl: env.prometheus.url, agents: env.agents.map((a) => a.address) },
    };
    discoveryConfig = {
      uid: 'discovery',
      jsonData: { prometheusUrl: env.prometheus.url, agentDiscovery: 'prometheus', agentJob: 'zviz' },
    };
  });
  afterAll(async () => {
    await env?.stop();
  });

  // The last 50 minutes of the hour of history: 3000 s.
  const window = () => ({ from: (env.history.end - 3000) * 1000, to: env.history.end * 1000 });

  it('decisions (count): one wide frame sorted by total, with the p99 in meta, and trend frames per syscall', async () => {
    const { A } = await env.client.queryData(
      [{ refId: 'A', queryType: 'decisions', model: {}, ...window() }],
      staticConfig
    );
    expect(A.error).toBe('');
    const [wide, ...trends] = A.frames;
    expect(wide.name).toBe(DECISIONS_FRAME);
    expect(wide.fields.map((f) => [f.name, f.arrowType])).toEqual([
      ['syscall', 'Utf8'],
      ...DECISIONS.map((d) => [d, 'Float64']),
      ['total', 'Float64'],
    ]);
    expect(values(wide, 'syscall')).toEqual(['openat', 'connect', 'execve', 'ptrace']);
    const openat = 0;
    expect(values(wide, 'allow')[openat]).toBeCloseTo(RATES.openat.allow * 3000, 0);
    expect(values(wide, 'deny')[openat]).toBeCloseTo(RATES.openat.deny * 3000, 0);
    expect(values(wide, 'kill')[openat]).toBe(0);
    expect(values(wide, 'total')[openat]).toBeCloseTo((RATES.openat.allow + RATES.openat.deny) * 3000, 0);
    const meta = wide.meta!.custom as { mode: string; rangeSeconds: number; p99LatencySeconds: number };
    expect(meta.mode).toBe('count');
    expect(meta.rangeSeconds).toBe(3000);
    expect(meta.p99LatencySeconds).toBeCloseTo(P99_SECONDS, 9);

    // One wide time series frame: a labelled `value` field per (syscall, decision) series.
    expect(trends).toHaveLength(1);
    const trend = trends[0];
    expect(trend.name).toBe(DECISION_TREND_FRAME);
    expect(trend.meta).toMatchObject({ type: 'timeseries-wide' });
    expect(trend.fields[0]).toMatchObject({ name: 'time', arrowType: 'Timestamp<NANOSECOND>' });
    const series = Object.entries(RATES).flatMap(([syscall, d]) =>
      DECISIONS.filter((x) => x in d).map((decision) => ({ syscall, decision }))
    );
    series.sort((a, b) => a.syscall.localeCompare(b.syscall));
    expect(trend.fields.slice(1).map((f) => [f.name, f.arrowType, f.labels])).toEqual(
      series.map((l) => ['value', 'Float64', l])
    );
    const times = trend.fields[0].values as bigint[];
    expect(times[0]).toBe(BigInt(window().from) * 1_000_000n);
    expect(times.length).toBeLessThanOrEqual(61);
    const connectAllow = trend.fields.find((f) => f.labels?.syscall === 'connect' && f.labels.decision === 'allow')!;
    expect(connectAllow.config).toBeUndefined();
    const allowRates = connectAllow.values.filter((v) => v !== null) as number[];
    expect(allowRates.length).toBeGreaterThan(50);
    allowRates.forEach((v) => expect(v).toBeCloseTo(RATES.connect.allow, 6));
  });

  it('decisions (rate) with syscall, decision and selector filters', async () => {
    const { A } = await env.client.queryData(
      [
        {
          refId: 'A',
          queryType: 'decisions',
          model: { mode: 'rate', syscalls: ['openat', 'connect'], decisions: ['allow'], selector: 'job!="other"' },
          ...window(),
        },
      ],
      staticConfig
    );
    const wide = A.frames[0];
    expect(wide.fields.map((f) => f.name)).toEqual(['syscall', 'allow', 'total']);
    expect(values(wide, 'syscall')).toEqual(['openat', 'connect']);
    expect(values(wide, 'allow')[0]).toBeCloseTo(2, 6);
    expect(values(wide, 'allow')[1]).toBeCloseTo(1, 6);
    expect(wide.fields[1].config).toEqual({ unit: 'ops' });
    expect(A.frames[1].fields.slice(1).map((f) => f.labels)).toEqual([
      { syscall: 'connect', decision: 'allow' },
      { syscall: 'openat', decision: 'allow' },
    ]);
  });

  it('decisions (timeseries): only the trend frames', async () => {
    const { A } = await env.client.queryData(
      [{ refId: 'A', queryType: 'decisions', model: { mode: 'timeseries' }, ...window() }],
      staticConfig
    );
    expect(A.frames.map((f) => [f.name, f.fields.length])).toEqual([[DECISION_TREND_FRAME, 8]]);
    expect(A.frames[0].fields[1].config).toEqual({ unit: 'ops', displayNameFromDS: 'connect allow' });
  });

  it('promql range: one frame per series with labels and exact nanosecond times', async () => {
    const { A } = await env.client.queryData(
      [
        {
          refId: 'A',
          model: {
            queryType: 'promql',
            expr: 'zviz_broker_decisions_total{syscall="openat"}',
            legendFormat: '{{decision}}',
          },
          ...window(),
          intervalMs: STEP_SECONDS * 1000,
        },
      ],
      staticConfig
    );
    expect(A.error).toBe('');
    expect(A.frames.map((f) => f.name).sort()).toEqual(['allow', 'deny']);
    const allow = A.frames.find((f) => f.name === 'allow')!;
    expect(allow.meta).toMatchObject({ type: 'timeseries-multi', typeVersion: [0, 1] });
    expect(allow.fields[1].labels).toEqual({
      __name__: 'zviz_broker_decisions_total',
      syscall: 'openat',
      decision: 'allow',
    });
    expect(allow.fields[1].config).toEqual({ displayNameFromDS: 'allow' });
    const times = allow.fields[0].values as bigint[];
    const vals = allow.fields[1].values as number[];
    expect(times).toHaveLength(201);
    times.forEach((t, i) => {
      const seconds = env.history.end - 3000 + i * STEP_SECONDS;
      expect(t).toBe(BigInt(seconds) * 1_000_000_000n);
      expect(vals[i]).toBe(2 * (seconds - env.history.start) + 2000);
    });
  });

  it('promql instant for alert rules: numeric frames with labels, macros filled in', async () => {
    const { A } = await env.client.queryData(
      [
        {
          refId: 'A',
          model: {
            queryType: 'promql',
            expr: 'sum by (decision) (rate(zviz_broker_decisions_total[$__rate_interval]))',
            instant: true,
          },
          ...window(),
        },
      ],
      staticConfig,
      { FromAlert: 'true', 'http_X-Rule-Uid': 'r1' }
    );
    expect(A.error).toBe('');
    expect(A.frames.length).toBe(4);
    for (const f of A.frames) {
      expect(f.meta).toMatchObject({ type: 'numeric-multi' });
      expect(f.fields.map((x) => x.arrowType)).toEqual(['Timestamp<NANOSECOND>', 'Float64']);
      // $__rate_interval: four 15 s scrape intervals.
      expect(f.meta!.executedQueryString).toContain('[60s]');
    }
    const deny = A.frames.find((f) => f.fields[1].labels?.decision === 'deny')!;
    expect(deny.fields[1].values[0]).toBeCloseTo(RATES.openat.deny + RATES.ptrace.deny, 6);
  });

  it('each query fails alone: bad PromQL, unknown type and bad JSON next to a good query', async () => {
    const r = await env.client.queryData(
      [
        { refId: 'good', model: { queryType: 'promql', expr: 'zviz_build_info', instant: true }, ...window() },
        { refId: 'badExpr', model: { queryType: 'promql', expr: 'sum(' }, ...window() },
        { refId: 'unknown', queryType: 'flamegraph', model: {}, ...window() },
        { refId: 'badJson', model: '{"queryType": "promql", ', ...window() },
        { refId: 'badField', model: { queryType: 'audit', limit: -1 }, ...window() },
        { refId: 'noType', model: { expr: 'up' }, ...window() },
      ],
      staticConfig
    );
    expect(r.good.error).toBe('');
    expect(r.good.frames.length).toBeGreaterThan(0);
    expect(r.badExpr).toMatchObject({ status: 400, errorSource: 'downstream' });
    expect(r.badExpr.error).toMatch(new RegExp(`^Prometheus at ${env.prometheus.url}: bad_data: .*parse error`));
    expect(r.unknown).toMatchObject({ status: 400, errorSource: 'plugin' });
    expect(r.unknown.error).toBe('unknown query type "flamegraph"; expected one of decisions, promql, audit, health');
    expect(r.badJson).toMatchObject({ status: 400, errorSource: 'plugin' });
    expect(r.badJson.error).toMatch(/^the query model is not valid JSON: /);
    expect(r.badField.error).toBe('limit must be a whole number from 1 to 10000, not -1');
    expect(r.noType.error).toMatch(/has no queryType/);
  });

  it('Prometheus down and Prometheus too slow are downstream errors of their queries only', async () => {
    const closed = await freePort();
    const silent = await silentServer();
    try {
      const down = await env.client.queryData(
        [
          { refId: 'A', model: { queryType: 'promql', expr: 'up' }, ...window() },
          { refId: 'B', model: { queryType: 'health' }, ...window() },
        ],
        { uid: 'down', jsonData: { prometheusUrl: `http://127.0.0.1:${closed}`, agents: [env.agents[0].address] } }
      );
      expect(down.A).toMatchObject({
        status: 502,
        errorSource: 'downstream',
        error: `Prometheus at http://127.0.0.1:${closed}: connection refused`,
      });
      expect(down.B.error).toBe('');

      const slow = await env.client.queryData([{ refId: 'A', queryType: 'decisions', model: {}, ...window() }], {
        uid: 'slow',
        jsonData: { prometheusUrl: `http://${silent.address}`, timeoutSeconds: 0.3 },
      });
      expect(slow.A).toMatchObject({
        status: 504,
        errorSource: 'downstream',
        error: `Prometheus at http://${silent.address}: timed out after 0.3 s`,
      });
    } finally {
      await silent.close();
    }
  });

  it('invalid settings fail every query with what to fix', async () => {
    const r = await env.client.queryData([{ refId: 'A', model: { queryType: 'health' }, ...window() }], {
      uid: 'bad',
      jsonData: { prometheusUrl: 'ftp://x', prometheusAuth: 'basic', agents: ['not a host:port'], timeoutSeconds: 0 },
    });
    expect(r.A).toMatchObject({ status: 400, errorSource: 'plugin' });
    expect(r.A.error).toBe(
      'the data source settings need fixing: Prometheus URL "ftp://x" is not an http:// or https:// URL; ' +
        'Prometheus basic auth needs a user; Prometheus basic auth needs a password; ' +
        'agent "not a host:port" is not host:port or an http(s) URL; ' +
        'timeout must be a number of seconds between 0 and 300, not 0'
    );
  });

  it('audit: events of all agents in the range, filtered, newest first, as a logs frame', async () => {
    const now = Date.now();
    const { A, B, C } = await env.client.queryData(
      [
        { refId: 'A', model: { queryType: 'audit' }, from: now - 3600_000, to: now },
        // More than one agent answers per request (1,000): asked for less each.
        { refId: 'C', model: { queryType: 'audit', limit: 5000 }, from: now - 3600_000, to: now },
        {
          refId: 'B',
          model: { queryType: 'audit', decision: 'kill', container: 'tenant-a' },
          from: now - 3600_000,
          to: now,
        },
      ],
      staticConfig
    );
    const audit = A.frames[0];
    expect(audit.name).toBe('audit');
    expect(audit.meta).toMatchObject({ type: 'log-lines', preferredVisualisationType: 'logs' });
    expect(audit.fields.slice(0, 5).map((f) => [f.name, f.arrowType])).toEqual([
      [AUDIT_FIELDS.timestamp, 'Timestamp<NANOSECOND>'],
      [AUDIT_FIELDS.body, 'Utf8'],
      [AUDIT_FIELDS.severity, 'Utf8'],
      [AUDIT_FIELDS.id, 'Utf8'],
      [AUDIT_FIELDS.labels, 'Binary'],
    ]);
    // Four events in the last hour (the two-hour-old one is out of range), newest first.
    expect(values(audit, 'seq')).toEqual([3, 10, 2, 1]);
    expect(values(audit, 'agent')).toEqual([
      env.agents[0].address,
      env.agents[1].address,
      env.agents[0].address,
      env.agents[0].address,
    ]);
    expect(values(audit, 'severity')).toEqual(['critical', 'info', 'warning', 'info']);
    expect(values(audit, 'body')[2]).toBe(
      'deny openat layer=broker container=ci-job-17 errno=13 latency=12µs path="/etc/shadow" flags="O_RDONLY"'
    );
    expect(values(audit, 'labels')[0]).toEqual({
      agent: env.agents[0].address,
      container_id: 'tenant-a',
      syscall: 'ptrace',
      decision: 'kill',
      layer: 'seccomp',
      profile: 'strict',
    });
    const times = values(audit, 'timestamp') as bigint[];
    expect(times[0] % 1_000_000n).toBe(123_000n); // the agent's sub-millisecond digits survive
    expect(audit.meta!.notices).toEqual([
      {
        severity: 'info',
        text: `agent ${env.agents[0].address}: 5 older events had left its ring buffer; the audit log has them all`,
      },
    ]);
    expect(values(B.frames[0], 'seq')).toEqual([3]);
    expect(C.error).toBe('');
    expect(values(C.frames[0], 'seq')).toEqual([3, 10, 2, 1]);
  });

  it('audit: an unreachable agent is a notice; all unreachable is a downstream error', async () => {
    const closed = await freePort();
    const now = Date.now();
    const config = { uid: 'partial', jsonData: { agents: [env.agents[1].address, `127.0.0.1:${closed}`] } };
    const { A } = await env.client.queryData(
      [{ refId: 'A', model: { queryType: 'audit' }, from: now - 3600_000, to: now }],
      config
    );
    expect(values(A.frames[0], 'seq')).toEqual([10]);
    expect(A.frames[0].meta!.notices).toEqual([
      {
        severity: 'warning',
        text: `1 of 2 agents did not answer: 127.0.0.1:${closed} (connection refused); their events are missing`,
      },
    ]);

    const only = await env.client.queryData(
      [{ refId: 'A', model: { queryType: 'audit', agent: `127.0.0.1:${closed}` }, from: now - 3600_000, to: now }],
      config
    );
    expect(only.A).toMatchObject({
      status: 502,
      errorSource: 'downstream',
      error: `agent 127.0.0.1:${closed}: connection refused`,
    });
  });

  it('audit: an agent that never answers costs the query its time budget, not the panel', async () => {
    const silent = await silentServer();
    try {
      const now = Date.now();
      const config = {
        uid: 'hung',
        jsonData: { agents: [silent.address, env.agents[1].address], timeoutSeconds: 0.5, agentConcurrency: 1 },
      };
      const { A } = await env.client.queryData(
        [{ refId: 'A', model: { queryType: 'audit' }, from: now - 3600_000, to: now }],
        config
      );
      // One agent at a time, the hung one first: the budget covers the whole query, so the agent
      // queued behind the hung one is out of time too, and with no answer at all the query fails.
      // The silent agent never answers: only the budget can have ended this query.
      expect(A.status).toBe(504);
      expect(A.error).toBe(`agent ${silent.address}: no answer within the query's time budget of 0.5 s`);

      const wide = await env.client.queryData(
        [{ refId: 'A', model: { queryType: 'audit' }, from: now - 3600_000, to: now }],
        { uid: 'hung-wide', jsonData: { ...config.jsonData, agentConcurrency: 2 } }
      );
      expect(values(wide.A.frames[0], 'seq')).toEqual([10]);
      expect(wide.A.frames[0].meta!.notices).toEqual([
        {
          severity: 'warning',
          text: `1 of 2 agents did not answer: ${silent.address} (no answer within the query's time budget of 0.5 s); their events are missing`,
        },
      ]);
    } finally {
      await silent.close();
    }
  });

  it('health: a row per agent discovered through up{job="zviz"}, unreachable agents included', async () => {
    const { A } = await env.client.queryData(
      [{ refId: 'A', model: { queryType: 'health' }, ...window() }],
      discoveryConfig
    );
    const table = A.frames[0];
    expect(table.name).toBe(HEALTH_FRAME);
    const agents = values(table, 'agent');
    expect([...agents].sort()).toEqual(env.agents.map((a) => a.address).sort());
    const first = agents.indexOf(env.agents[0].address);
    expect(values(table, 'status')[first]).toBe('degraded');
    expect(values(table, 'uptime')[first]).toBe(3723.5);
    expect(values(table, 'broker_inflight')[first]).toBe(1);
    expect(values(table, 'component_tracer')[first]).toBe('degraded');
    expect(values(table, 'component_tracer_reason')[first]).toBe(
      'tracepoint tcp:tcp_probe unavailable; TCP RTT disabled'
    );
    expect(values(table, 'component_tracer')[1 - first]).toBe('');

    const closed = await freePort();
    const down = await env.client.queryData([{ refId: 'A', model: { queryType: 'health' }, ...window() }], {
      uid: 'down-agent',
      jsonData: { agents: [`127.0.0.1:${closed}`] },
    });
    expect(values(down.A.frames[0], 'status')).toEqual(['unreachable']);
    expect(values(down.A.frames[0], 'error')).toEqual([`agent 127.0.0.1:${closed}: connection refused`]);
    expect(down.A.frames[0].meta!.notices).toEqual([
      { severity: 'warning', text: `1 of 1 agent did not answer: 127.0.0.1:${closed} (connection refused)` },
    ]);
  });

  it('CheckHealth: OK with what it found, or exactly what failed and where', async () => {
    const ok = await env.client.checkHealth(discoveryConfig);
    expect(ok.status).toBe('OK');
    expect(ok.message).toContain(`Prometheus at ${env.prometheus.url}: OK`);
    expect(ok.message).toContain(
      `agent ${env.agents[0].address} is degraded (tracer degraded: tracepoint tcp:tcp_probe unavailable; TCP RTT disabled)`
    );
    expect(ok.message).toContain('2 of 2 agents reachable');
    expect(ok.details.agents).toHaveLength(2);

    const closed = await freePort();
    const locked = await FixtureAgent.start({ token: 's3cret' });
    try {
      const bad = await env.client.checkHealth({
        uid: 'bad-health',
        jsonData: { prometheusUrl: `http://127.0.0.1:${closed}`, agents: [locked.address] },
      });
      expect(bad.status).toBe('ERROR');
      expect(bad.message).toBe(
        `Prometheus at http://127.0.0.1:${closed}: connection refused; agent ${locked.address}: 401 Unauthorized`
      );

      const authed = await env.client.checkHealth({
        uid: 'authed',
        jsonData: { agents: [locked.address], agentAuth: 'bearer' },
        secure: { agentToken: 's3cret' },
      });
      expect(authed.status).toBe('OK');
    } finally {
      await locked.stop();
    }

    const none = await env.client.checkHealth({
      uid: 'none',
      jsonData: { ...discoveryConfig.jsonData, agentJob: 'nojob' },
    });
    expect(none.status).toBe('ERROR');
    expect(none.message).toBe(`Prometheus at ${env.prometheus.url}: no agent found: up{job="nojob"} has no targets`);
  });

  it('resources for the editors, with JSON errors for bad paths', async () => {
    const agents = JSON.parse((await env.client.callResource('agents', discoveryConfig)).body);
    expect(agents).toEqual({
      agents: env.agents
        .map((a) => ({ url: a.url, instance: a.address, up: true, version: '0.1.0', variant: 'production' }))
        .sort((a, b) => a.instance.localeCompare(b.instance)),
    });
    const closed = await freePort();
    const down = JSON.parse(
      (await env.client.callResource('agents', { uid: 'agents-down', jsonData: { agents: [`127.0.0.1:${closed}`] } }))
        .body
    );
    expect(down.agents).toEqual([
      {
        url: `http://127.0.0.1:${closed}`,
        instance: `127.0.0.1:${closed}`,
        up: false,
        error: `agent 127.0.0.1:${closed}: connection refused`,
      },
    ]);

    const containers = await env.client.callResource('containers', staticConfig);
    expect(containers.status).toBe(200);
    expect(containers.headers['Content-Type']).toEqual(['application/json']);
    const c = JSON.parse(containers.body);
    expect(c.containers.map((x: { id: string; agent: string }) => `${x.agent}/${x.id}`).sort()).toEqual(
      env.agents.flatMap((a) => [`${a.address}/ci-job-17`, `${a.address}/tenant-a`]).sort()
    );
    expect(c.errors).toEqual([]);

    expect(JSON.parse((await env.client.callResource('syscalls', staticConfig)).body)).toEqual({
      syscalls: ['connect', 'execve', 'openat', 'ptrace'],
    });
    const one = await env.client.callResource('containers', staticConfig, { query: `agent=${env.agents[1].address}` });
    expect(JSON.parse(one.body).containers.map((x: { agent: string }) => x.agent)).toEqual([
      env.agents[1].address,
      env.agents[1].address,
    ]);
    const badSelector = await env.client.callResource('syscalls', staticConfig, { query: 'selector=}' });
    expect(badSelector.status).toBe(400);
    expect(JSON.parse((await env.client.callResource('profiles', staticConfig)).body)).toEqual({
      profiles: ['ci-runner', 'strict'],
      errors: [],
    });
    const decisions = await env.client.callResource('label-values', staticConfig, {
      query: 'label=decision&match=zviz_broker_decisions_total{syscall="openat"}',
    });
    expect(JSON.parse(decisions.body)).toEqual({ values: ['allow', 'deny'] });

    const missing = await env.client.callResource('label-values', staticConfig);
    expect([missing.status, JSON.parse(missing.body)]).toEqual([400, { error: 'label-values needs ?label=<name>' }]);
    const unknown = await env.client.callResource('secrets', staticConfig);
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body).error).toBe(
      'no resource "secrets"; resources are agents, containers, syscalls, profiles, label-values'
    );
    const post = await env.client.callResource('agents', staticConfig, { method: 'POST' });
    expect([post.status, JSON.parse(post.body)]).toEqual([405, { error: 'agents answers GET only, not POST' }]);
  });

  it('live stream: relays agent events as JSON frames and resumes with Last-Event-ID after a drop', async () => {
    expect((await env.client.subscribeStream('decisions', staticConfig)).status).toBe('OK');
    expect((await env.client.subscribeStream('decisions/ci-job-17', staticConfig)).status).toBe('OK');
    expect((await env.client.subscribeStream('metrics', staticConfig)).status).toBe('NOT_FOUND');
    expect((await env.client.publishStream('decisions', {}, staticConfig)).status).toBe('PERMISSION_DENIED');

    const agent = env.agents[1];
    const config = { uid: 'stream', jsonData: { agents: [agent.address] } };
    const call = env.client.runStream('decisions/ci-job-17', config);
    const packets: Array<{ schema: { name: string }; data: { values: unknown[][] } }> = [];
    call.on('data', (p: { data: Buffer }) => packets.push(JSON.parse(p.data.toString())));
    call.on('error', () => undefined);
    const seqs = () => packets.flatMap((p) => p.data.values[12] as number[]);

    await expect.poll(() => agent.openStreams).toBe(1);
    agent.publish(fixtureEvent(11, 0, { decision: 'deny' }));
    agent.publish(fixtureEvent(12, 0, { container_id: 'other' }));
    await expect.poll(seqs).toEqual([11]);
    expect(packets[0].schema.name).toBe('audit');

    agent.dropStreams();
    agent.publish(fixtureEvent(13, 0)); // while the relay is disconnected
    await expect.poll(() => agent.openStreams).toBe(1);
    agent.publish(fixtureEvent(14, 0));
    await expect.poll(seqs).toEqual([11, 13, 14]);
    // The first connection starts from the agent's position at subscription (its newest event, 10).
    expect(agent.resumedFrom.slice(-2)).toEqual(['10', '12']);

    call.cancel();
    await expect.poll(() => agent.openStreams).toBe(0);
  });

  it('live stream: an agent that drops the relay before its first event loses nothing meanwhile', async () => {
    // The relay has seen no event yet when the agent goes away and comes back:
    // it must resume from where the agent stood at subscription.
    const agent = await FixtureAgent.start({ events: [fixtureEvent(5, 600)] });
    try {
      const call = env.client.runStream('decisions', { uid: 'stream-restart', jsonData: { agents: [agent.address] } });
      const packets: Array<{ data: { values: unknown[][] } }> = [];
      call.on('data', (p: { data: Buffer }) => packets.push(JSON.parse(p.data.toString())));
      call.on('error', () => undefined);
      const seqs = () => packets.flatMap((p) => p.data.values[12] as number[]);
      await expect.poll(() => agent.openStreams).toBe(1);
      agent.dropStreams();
      agent.publish(fixtureEvent(6, 0)); // while the relay is away
      await expect.poll(() => agent.openStreams).toBe(1);
      agent.publish(fixtureEvent(7, 0));
      await expect.poll(seqs).toEqual([6, 7]);
      // Event 5 came before the subscription, and is not replayed.
      expect(agent.resumedFrom).toEqual(['5', '5']);
      call.cancel();
      await expect.poll(() => agent.openStreams).toBe(0);
    } finally {
      await agent.stop();
    }
  });

  it("CollectMetrics: the backend's own metrics by query type and status", async () => {
    const text = await env.client.collectMetrics();
    expect(text).toMatch(/zviz_datasource_queries_total\{query_type="promql",status="ok"\} [1-9]/);
    expect(text).toMatch(/zviz_datasource_queries_total\{query_type="promql",status="downstream"\} [1-9]/);
    expect(text).toMatch(/zviz_datasource_queries_total\{query_type="flamegraph",status="plugin"\} 1/);
    expect(text).toMatch(/zviz_datasource_upstream_errors_total\{upstream="prometheus",reason="network"\} [1-9]/);
    expect(text).toMatch(/zviz_datasource_query_duration_seconds_bucket\{le="0.1",query_type="decisions"\} [1-9]/);
    expect(text).toMatch(/zviz_datasource_stream_reconnects_total [1-9]/);
    expect(text).toContain('process_resident_memory_bytes');
  });
});
