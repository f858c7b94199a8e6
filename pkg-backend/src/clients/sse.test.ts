import { describe, expect, it } from 'vitest';

import { MAX_EVENT_CHARS, SseParser } from './sse';

describe('server-sent events parser', () => {
  it('assembles events split across chunks and line endings, skipping comments', () => {
    const p = new SseParser();
    expect(p.push(': hello\n\nid: 7\nevent: deci')).toEqual([]);
    expect(p.push('sion\ndata: {"a":\r\ndata: 1}\r')).toEqual([]);
    expect(p.push('\n\r\n')).toEqual([{ id: '7', event: 'decision', data: '{"a":\n1}' }]);
    expect(p.lastEventId).toBe('7');
    expect(p.push('data:x\nretry: 500\n\n')).toEqual([{ event: 'message', data: 'x', retry: 500 }]);
    expect(p.lastEventId).toBe('7');
  });

  it('refuses an event that never ends instead of holding it without bound', () => {
    const line = new SseParser();
    expect(() => line.push('data: ' + 'x'.repeat(MAX_EVENT_CHARS))).toThrow(/longer than 1048576 characters/);
    // Many short data lines of one event count together.
    const lines = new SseParser();
    const chunk = 'data: ' + 'y'.repeat(1000) + '\n';
    expect(() => {
      for (let i = 0; i < 2000; i++) {
        lines.push(chunk);
      }
    }).toThrow(/without ending it/);
    // Events that end stay within the bound however many there are.
    const many = new SseParser();
    for (let i = 0; i < 2000; i++) {
      expect(many.push(chunk + '\n')).toHaveLength(1);
    }
  });
});
