import type { DecisionEvent } from '@zviz/shared/agent-api';
import { describe, expect, it } from 'vitest';

import { buildView, type ViewOptions } from './model';
import { render, type RenderOptions } from './render';
import { exposition, poll, quietStream } from '../../test/support/top-polls';

const SORTS: ViewOptions = { syscallSort: 'rate', containerSort: 'cpu' };
const PLAIN: RenderOptions = { ...SORTS, color: false, target: 'http://127.0.0.1:9090', intervalSeconds: 2 };
const ESC = '\u001b[';

function event(seq: number, overrides: Partial<DecisionEvent> = {}): DecisionEvent {
  return {
    seq,
    timestamp: '2024-01-15T10:30:00.123Z',
    event_type: 'syscall',
    container_id: 'c0ffee000001aaaa',
    syscall: 'openat',
    args: { path: '/etc/shadow', flags: 'O_RDONLY' },
    decision: 'deny',
    latency_us: 45,
    layer: 'broker',
    errno: 13,
    ...overrides,
  };
}

async function view(syscalls = 3, recent: DecisionEvent[] = []) {
  const decisions = (n: number) =>
    Array.from({ length: syscalls }, (_, i) => [
      { labels: { syscall: `sys${String(i).padStart(3, '0')}`, decision: 'allow' }, value: n * (i + 1) },
      { labels: { syscall: `sys${String(i).padStart(3, '0')}`, decision: 'deny' }, value: i === 0 ? n : 0 },
    ]).flat();
  const metrics = (n: number) =>
    exposition({
      zviz_broker_decisions_total: decisions(n),
      zviz_broker_requests_total: [{ labels: {}, value: n }],
      zviz_security_denials_total: [{ labels: { layer: 'broker' }, value: n }],
    });
  return buildView(poll(2000, await metrics(20)), poll(0, await metrics(10)), quietStream({ recent }), SORTS);
}

describe('render', () => {
  it('prints health, components, broker, denials and every section as plain text without color', async () => {
    const text = render(
      await view(3, [
        event(1),
        event(2, { decision: 'log', syscall: 'connect', args: { address: '10.0.0.1:443' }, errno: undefined }),
      ]),
      PLAIN
    );
    expect(text).not.toContain(ESC);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(
      /^zviz top {2}DEGRADED {2}node-1 · production · agent 0\.1\.0 · up 1h02m {2}http:\/\/127\.0\.0\.1:9090/
    );
    expect(lines[1]).toBe(
      'components  http ok  audit ok  broker ok  tracer degraded: tracepoint tcp:tcp_probe unavailable; TCP RTT disabled  cgroups ok'
    );
    expect(text).toMatch(/^denials 5\.0\/s \(20 total\) {2}broker 5\.0\/s$/m);
    expect(text).toMatch(/^SYSCALL +RATE\/s +TOTAL +ALLOW +EMULATE +LOG +DENY +TRAP +KILL +REFUSED\/s$/m);
    expect(text).toMatch(/^sys000 +10 +40 +20 +0 +0 +20 +0 +0 +5\.0$/m);
    expect(text).toMatch(/^c0ffee000001 +ci-job +ci-runner +running /m);
    expect(text).toMatch(/^c0ffee000002 +noisy +strict +exited \(1\) /m);
    // Newest first, with what the decision was about.
    expect(text).toMatch(
      /connect +log +broker +45 µs +10\.0\.0\.1:443\n.*openat +deny +broker +45 µs +\/etc\/shadow \(errno 13\)$/m
    );
  });

  it('colors refusals red and leaves allowed counts plain', async () => {
    const text = render(await view(2), { ...PLAIN, color: true });
    const row = text.split('\n').find((l) => l.includes('sys000'))!;
    expect(row).toContain(`${ESC}31m20${ESC}39m`); // the deny count
    expect(row).toMatch(/\u001b\[1m\u001b\[31msys000/); // a syscall refused right now: bold red
    const quiet = text.split('\n').find((l) => l.includes('sys001'))!;
    expect(quiet).not.toContain(`${ESC}31m`);
  });

  it('fits a limited height, saying how many rows it left out', async () => {
    const text = render(await view(100, [event(1), event(2), event(3)]), { ...PLAIN, height: 30, keys: true });
    const lines = text.split('\n');
    expect(lines.length).toBeLessThanOrEqual(30);
    expect(text).toMatch(/^… \d+ more$/m);
    expect(lines.at(-1)).toBe('q quit   s sort syscalls   c sort containers   p pause');
    expect(text).toContain('LATEST DECISIONS');
  });

  it('says clearly when the agent cannot be reached', async () => {
    const base = await view();
    const text = render({ ...base, unreachable: 'cannot reach http://127.0.0.1:9090: connect ECONNREFUSED' }, PLAIN);
    expect(text).toContain('agent unreachable: cannot reach http://127.0.0.1:9090: connect ECONNREFUSED');
    expect(text).toContain('retrying every 2 s');
    expect(render({ ...base, unreachable: 'x' }, { ...PLAIN, once: true })).not.toContain('retrying');
  });
});
