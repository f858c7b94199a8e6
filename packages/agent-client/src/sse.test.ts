// The SSE reader against what a network hands it: events cut anywhere
// (inside a field name, between \r and \n), and an upstream that sends an
// event without end, which must fail the stream rather than grow the process.
import { describe, expect, it } from 'vitest';

import { MAX_EVENT_CHARS, SseReader } from './sse';

describe('server-sent events reader', () => {
  it('assembles events split across chunks and line endings, skipping comments', () => {
    const p = new SseReader();
    expect(p.push(': hello\n\nid: 7\nevent: deci')).toEqual([]);
    expect(p.push('sion\ndata: {"a":\r\ndata: 1}\r')).toEqual([]);
    expect(p.push('\n\r\n')).toEqual([{ id: '7', event: 'decision', data: '{"a":\n1}' }]);
    expect(p.lastEventId).toBe('7');
    expect(p.push('data:x\nretry: 500\n\n')).toEqual([{ event: 'message', data: 'x', retry: 500 }]);
    expect(p.lastEventId).toBe('7');
  });

  it('refuses an event that never ends instead of holding it without bound', () => {
    const line = new SseReader();
    expect(() => line.push('data: ' + 'x'.repeat(MAX_EVENT_CHARS))).toThrow(/longer than 1048576 characters/);
    // Many short data lines of one event count together.
    const lines = new SseReader();
    const chunk = 'data: ' + 'y'.repeat(1000) + '\n';
    expect(() => {
      for (let i = 0; i < 2000; i++) {
        lines.push(chunk);
      }
    }).toThrow(/without ending it/);
    // Events that end stay within the bound however many there are.
    const many = new SseReader();
    for (let i = 0; i < 2000; i++) {
      expect(many.push(chunk + '\n')).toHaveLength(1);
    }
  });

  it('reads the same events however the stream is cut into chunks', () => {
    const stream =
      'retry: 2000\n\n: heartbeat\n\nid: 1\nevent: decision\ndata: {"seq":1}\n\n' +
      'id: 2\r\ndata: {"seq":\r\ndata: 2}\r\n\r\nevent: missed\rdata: {"missed":3}\r\r' +
      'data: é ✓\n\n';
    const whole = new SseReader().push(stream);
    expect(whole).toEqual([
      { id: '1', event: 'decision', data: '{"seq":1}', retry: 2000 },
      { id: '2', event: 'message', data: '{"seq":\n2}' },
      { event: 'missed', data: '{"missed":3}' },
      { event: 'message', data: 'é ✓' },
    ]);
    // Every place one cut can fall, and one character at a time.
    for (let cut = 1; cut < stream.length; cut++) {
      const reader = new SseReader();
      expect([...reader.push(stream.slice(0, cut)), ...reader.push(stream.slice(cut))], `cut at ${cut}`).toEqual(whole);
      expect(reader.lastEventId).toBe('2');
    }
    const bytewise = new SseReader();
    expect([...stream].flatMap((c) => bytewise.push(c))).toEqual(whole);
  });

  it('hands over a retry that comes in an event without data as it comes', () => {
    const retries: number[] = [];
    const reader = new SseReader({ onRetry: (ms) => retries.push(ms) });
    expect(reader.push('retry: 1500\n\n')).toEqual([]);
    expect(retries).toEqual([1500]);
    expect(reader.push('retry: soon\nfield: unknown\ndata: x\n\n')).toEqual([
      { event: 'message', data: 'x', retry: 1500 },
    ]);
    expect(retries).toEqual([1500]);
  });

  it('holds an event of exactly the bound and refuses one character more, however it is cut', () => {
    const bound = 64;
    const fits = 'data: ' + 'x'.repeat(bound - 6);
    const exact = new SseReader({ maxEventChars: bound });
    expect(exact.push(fits)).toEqual([]);
    expect(exact.push('\n\n')).toEqual([{ event: 'message', data: 'x'.repeat(bound - 6) }]);

    const over = new SseReader({ maxEventChars: bound });
    expect(() => {
      for (const c of fits + 'x') {
        over.push(c);
      }
    }).toThrow('sent an event longer than 64 characters without ending it');
    // A stream that overflowed stays failed: what follows is not parsed as if nothing happened.
    expect(() => over.push('\n\n')).toThrow(/longer than 64 characters/);

    // The data of one event counts across its lines, which each end.
    const lines = new SseReader({ maxEventChars: bound });
    expect(() => {
      for (let i = 0; i < 10; i++) {
        lines.push('data: ' + 'y'.repeat(10) + '\n');
      }
    }).toThrow(/without ending it/);
  });

  it('does not count comments and finished events against the bound', () => {
    const reader = new SseReader({ maxEventChars: 64 });
    for (let i = 0; i < 1000; i++) {
      // A heartbeat comment without a blank line after it, then a whole event.
      expect(reader.push(': keep-alive ' + 'z'.repeat(40) + '\n')).toEqual([]);
      expect(reader.push(`id: ${i}\ndata: ${'w'.repeat(40)}\n\n`)).toHaveLength(1);
    }
    expect(reader.lastEventId).toBe('999');
  });
});
