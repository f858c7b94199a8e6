import type { DecisionEvent } from '@zviz/shared/agent-api';
import { describe, expect, it } from 'vitest';

import { agentEvent, auditFrame } from './audit-frame';

/** A path a workload chose to be misread: shown as written, it reads "/tmp/etc/shadow" in a browser. */
const PATH = '/tmp/\u202ewodahs/cte\u200b\u2028\u0085\u007f\n\udb40\udc41"\\x';

function event(args: Record<string, string>): DecisionEvent {
  return {
    seq: 7,
    timestamp: '2026-12-07T15:00:00.000Z',
    event_type: 'syscall',
    container_id: 'c1',
    syscall: 'openat',
    args,
    decision: 'deny',
    latency_us: 12,
    layer: 'broker',
  };
}

function values(name: string, args: Record<string, string>): string[] {
  const field = auditFrame([agentEvent('node-1', event(args))!]).fields.find((f) => f.name === name);
  return (field?.values ?? []) as string[];
}

/** What a browser acts on instead of showing: DEL, C1, format characters, line and paragraph separators. */
const HIDDEN = /[\u007f-\u009f\p{Cf}\p{Zl}\p{Zp}]/u;

describe('the audit frame shows workload-chosen strings whole', () => {
  it('spells every character a browser would act on in args, and the JSON value is unchanged', () => {
    const [args] = values('args', { path: PATH });
    expect(args).not.toMatch(HIDDEN);
    expect(args).toContain(String.raw`/tmp/\u202Ewodahs/cte\u200B\u2028\u0085\u007F\n\uDB40\uDC41\"\\x`);
    expect(JSON.parse(args)).toEqual({ path: PATH });
  });

  it('does the same in the log line body', () => {
    const [body] = values('body', { path: PATH });
    expect(body).not.toMatch(HIDDEN);
    expect(body).toContain(String.raw`path="/tmp/\u202Ewodahs/cte\u200B`);
  });

  it('leaves other text as it is', () => {
    expect(values('args', { path: '/tmp/é/日本' })).toEqual(['{"path":"/tmp/é/日本"}']);
  });
});
