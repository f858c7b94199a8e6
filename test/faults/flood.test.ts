// A workload floods the sandbox with refused syscalls (each one a broker
// decision and a decision event) next to a quiet one, in a real agent. What
// its users must still see: Prometheus' scrapes answered, /health saying
// degraded with the reason while events are dropped and healthy again after,
// every event of the quiet container in the audit log and the stream, and
// every event of the flooding one either written or counted against it.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { waitFor } from '@zviz/test-support/ports';
import { binary, describeWhere, root, seccompUserNotif } from '@zviz/test-support/requirements';
import { AgentProcess, BIN as ZVIZ } from '../../agent/test/support/agent-process';

const WORKLOADS = join(__dirname, 'workloads');

/** Prometheus' default scrape_timeout: a scrape slower than this is a failed scrape (up == 0). */
const SCRAPE_TIMEOUT_MS = 10_000;

function build(name: string): string {
  mkdirSync(join(WORKLOADS, 'bin'), { recursive: true });
  const out = join(WORKLOADS, 'bin', name);
  execFileSync('cc', [
    '-static',
    '-O2',
    '-Wall',
    '-Wextra',
    '-Werror',
    '-pthread',
    '-o',
    out,
    join(WORKLOADS, `${name}.c`),
  ]);
  return out;
}

interface Ran {
  code: number | null;
  output: string;
  containerId: string;
  /** Decisions the broker made for it that are decision events (log, deny, kill, trap), from zviz run's summary. */
  events: number;
}

/** `zviz run` through the agent's control socket, to its end. */
function zvizRun(agent: AgentProcess, name: string, command: string[]): Promise<Ran> {
  const child = spawn(
    process.execPath,
    [ZVIZ, 'run', '--socket', agent.controlSocket, '--name', name, '--', ...command],
    { stdio: ['ignore', 'pipe', 'pipe'] }
  );
  const out: string[] = [];
  child.stdout.on('data', (c: Buffer) => out.push(c.toString()));
  child.stderr.on('data', (c: Buffer) => out.push(c.toString()));
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      const output = out.join('');
      const counts = /broker: \d+ decisions? \(([^)]*)\)/.exec(output)?.[1] ?? '';
      const events = [...counts.matchAll(/(\d+) (log|deny|kill|trap)/g)].reduce((n, m) => n + Number(m[1]), 0);
      resolve({ code, output, containerId: /^zviz: (\S+) \(/m.exec(output)?.[1] ?? '', events });
    })
  );
}

/** A client of /api/v1/decisions/stream that keeps every event it receives. */
function streamClient(url: string) {
  const events: Array<{ container_id: string }> = [];
  const abort = new AbortController();
  const done = (async () => {
    const res = await fetch(`${url}/api/v1/decisions/stream`, { signal: abort.signal });
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let pending = '';
    for (;;) {
      const { value, done: ended } = await reader.read();
      if (ended) {
        return;
      }
      pending += value;
      let end: number;
      while ((end = pending.indexOf('\n\n')) >= 0) {
        const frame = pending.slice(0, end);
        pending = pending.slice(end + 2);
        const data = frame.split('\n').find((l) => l.startsWith('data: '));
        if (data && !frame.startsWith('event:')) {
          events.push(JSON.parse(data.slice(6)));
        }
      }
    }
  })().catch((error: unknown) => {
    if (!abort.signal.aborted) {
      throw error;
    }
  });
  return { events, close: () => (abort.abort(), done) };
}

/** Audit records per container, over the audit log and its rotated files. */
function auditRecords(dir: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const name of readdirSync(dir).filter((n) => /^audit.*\.json$/.test(n))) {
    for (const line of readFileSync(join(dir, name), 'utf8').split('\n')) {
      if (line) {
        const id = (JSON.parse(line) as { container_id: string }).container_id;
        counts.set(id, (counts.get(id) ?? 0) + 1);
      }
    }
  }
  return counts;
}

/** Samples of zviz_container_events_dropped_total for one container, by reason. */
function droppedOf(exposition: string, containerId: string): Record<string, number> {
  const out: Record<string, number> = {};
  const pattern = /^zviz_container_events_dropped_total\{container_id="([^"]*)",reason="([^"]*)"\} (\S+)$/gm;
  for (const [, id, reason, value] of exposition.matchAll(pattern)) {
    if (id === containerId) {
      out[reason] = Number(value);
    }
  }
  return out;
}

describeWhere([root, seccompUserNotif, binary('cc', 'gcc')], 'a flooding workload beside a quiet one', () => {
  let agent: AgentProcess;
  let flood: string;
  let trickle: string;

  beforeAll(async () => {
    flood = build('flood');
    trickle = build('trickle');
    // A small per-container budget, so the flood is sure to exceed it.
    agent = await AgentProcess.start({ broker: { event_rate_limit: 100, event_burst: 100 } });
  });
  afterAll(() => agent?.stop());

  it('keeps answering scrapes, says degraded while it drops, delivers the quiet container’s events and counts the rest', async () => {
    const stream = streamClient(agent.url);
    const health: Array<{ status: string; reason?: string }> = [];
    const scrapes: number[] = [];
    const flooding = zvizRun(agent, 'flood', [flood, '6', '2']);
    let quiet: Promise<Ran> | undefined;
    let floodEnded = false;
    void flooding.then(() => (floodEnded = true));

    while (!floodEnded) {
      const scrape = await fetch(`${agent.url}/metrics`, { signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS) });
      const body = await scrape.text();
      scrapes.push(scrape.status);
      expect(body).toMatch(/^zviz_build_info\{/m);
      const report = (await (await fetch(`${agent.url}/health`)).json()) as {
        status: string;
        components: Record<string, { status: string; reason?: string }>;
      };
      health.push({ status: report.status, reason: report.components.events?.reason });
      // Once the flood is being dropped, the quiet container starts beside it.
      if (!quiet && report.components.events?.status === 'degraded') {
        quiet = zvizRun(agent, 'quiet', [trickle, '30', '20']);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const flooded = await flooding;
    expect(quiet, `the flood never made /health degraded:\n${flooded.output}`).toBeDefined();
    const calm = await quiet!;
    expect(flooded.code, flooded.output).toBe(0);
    expect(calm.code, calm.output).toBe(0);
    expect(calm.output).toContain('refused 30');

    // Every scrape answered, in Prometheus' time.
    expect(scrapes.every((s) => s === 200)).toBe(true);
    // /health said degraded, with the reason and no container id, while events were dropped ...
    const degraded = health.filter((h) => h.status === 'degraded');
    expect(degraded.length).toBeGreaterThan(0);
    expect(degraded[0].reason).toMatch(/decision events dropped .* over the per-container event rate limit/);
    expect(JSON.stringify(health)).not.toContain(flooded.containerId);
    // ... and healthy again once they no longer are.
    await waitFor(
      '/health to say healthy after the flood',
      async () => ((await (await fetch(`${agent.url}/health`)).json()) as { status: string }).status === 'healthy',
      { timeoutMs: 60_000, intervalMs: 500 }
    );

    // The audit log has written everything it was given.
    await waitFor(
      'the audit queue to empty',
      async () =>
        ((await (await fetch(`${agent.url}/health`)).json()) as { components: { audit: { queued: number } } })
          .components.audit.queued === 0
    );
    const exposition = await agent.metrics();
    const audit = auditRecords(agent.dir);
    await waitFor('the stream to deliver the quiet container’s events', async () =>
      stream.events.filter((e) => e.container_id === calm.containerId).length >= calm.events ? true : undefined
    ).catch(() => undefined);
    await stream.close();

    // The quiet container lost nothing: all its events in the audit log and the stream.
    expect(calm.events).toBe(30);
    expect(audit.get(calm.containerId)).toBe(calm.events);
    expect(stream.events.filter((e) => e.container_id === calm.containerId)).toHaveLength(calm.events);
    expect(droppedOf(exposition, calm.containerId)).toEqual({});

    // The flood's events are written or counted against it by name; none lost without a count.
    const floodDropped = droppedOf(exposition, flooded.containerId);
    expect(floodDropped.rate_limit).toBeGreaterThan(0);
    const counted = Object.values(floodDropped).reduce((a, b) => a + b, 0);
    expect((audit.get(flooded.containerId) ?? 0) + counted).toBe(flooded.events);
    // The stream got every event the broker handed over (the audit log may have dropped some of those, counted).
    expect(stream.events.filter((e) => e.container_id === flooded.containerId).length).toBe(
      flooded.events - (floodDropped.rate_limit ?? 0) - (floodDropped.queue_full ?? 0)
    );
  });
});
