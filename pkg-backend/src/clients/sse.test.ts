import { describe, expect, it } from 'vitest';

import { SseParser } from './sse';

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
});
