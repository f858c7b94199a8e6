import { describe, expect, it } from 'vitest';

import { decisionRows, frameRows, parseHandshake } from './datasource';

describe('parseHandshake', () => {
  it("reads go-plugin's handshake line, unix socket or TCP", () => {
    expect(parseHandshake('1|2|unix|/tmp/plugin123/zviz.sock|grpc\n')).toEqual({
      network: 'unix',
      path: '/tmp/plugin123/zviz.sock',
    });
    expect(parseHandshake('1|2|tcp|127.0.0.1:10001|grpc')).toEqual({ network: 'tcp', host: '127.0.0.1', port: 10001 });
  });

  it('refuses anything else with what it got', () => {
    expect(() => parseHandshake('listening on :3000')).toThrow('not a plugin handshake: "listening on :3000"');
  });
});

describe('frames', () => {
  const field = (name: string, values: unknown[]) => ({ name, type: 'string', values, config: {} });
  const frame = (name: string, fields: ReturnType<typeof field>[]) => ({ name, fields, metadata: {} }) as never;

  it('turns the decisions frame into rows with a count per decision', () => {
    const rows = decisionRows([
      frame('decisions', [
        field('syscall', ['openat', 'ptrace']),
        field('allow', [10, 0]),
        field('deny', [2, 0]),
        field('kill', [0, 1]),
        field('total', [12, 1]),
      ]),
    ]);
    expect(rows).toEqual([
      { syscall: 'openat', counts: { allow: 10, deny: 2, kill: 0 }, total: 12 },
      { syscall: 'ptrace', counts: { allow: 0, deny: 0, kill: 1 }, total: 1 },
    ]);
    expect(decisionRows([])).toEqual([]);
  });

  it('turns any frame into rows of field values', () => {
    expect(
      frameRows(frame('agents', [field('agent', ['a', 'b']), field('status', ['healthy', 'unreachable'])]))
    ).toEqual([
      { agent: 'a', status: 'healthy' },
      { agent: 'b', status: 'unreachable' },
    ]);
    expect(frameRows(undefined)).toEqual([]);
  });
});
