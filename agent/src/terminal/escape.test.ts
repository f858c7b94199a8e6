// A hostile name must show as text a terminal cannot act on, and nothing
// else may change.
import { describe, expect, it } from 'vitest';

import { forTerminal, jsonForTerminal, stringsForTerminal } from './escape';

/** The name the issue reports: clears the screen, sets the title, forges a red line. */
const HOSTILE = './\x1b[2J\x1b]0;PWNED\x07\x1b[31mfake\nline';

describe('forTerminal', () => {
  it('escapes escape sequences, BEL and newlines', () => {
    expect(forTerminal(HOSTILE)).toBe('./\\x1B[2J\\x1B]0;PWNED\\x07\\x1B[31mfake\\nline');
  });

  it.each([
    ['\u202e', '\\u202E', 'right-to-left override'],
    ['\u2066', '\\u2066', 'left-to-right isolate'],
    ['\u200b', '\\u200B', 'zero-width space'],
    ['\u009b', '\\x9B', 'C1 control sequence introducer'],
    ['\x7f', '\\x7F', 'DEL'],
    ['\r', '\\r', 'carriage return'],
    ['\t', '\\t', 'tab'],
    ['\u2028', '\\u2028', 'line separator'],
    ['\ud800', '\\uD800', 'lone surrogate'],
    ['\\x1B', '\\\\x1B', 'a backslash, so a written escape is not taken for ours'],
  ])('escapes %j as %s (%s)', (raw, shown) => {
    expect(forTerminal(`a${raw}b`)).toBe(`a${shown}b`);
  });

  it('leaves printable text alone, non-ASCII letters and emoji too', () => {
    const text = '/srv/données/日本語/🚀 build #42 (ok): 100% [x] {y}';
    expect(forTerminal(text)).toBe(text);
  });
});

describe('jsonForTerminal', () => {
  it('escapes what JSON.stringify leaves raw, and the value stays the same', () => {
    const value = { path: `/tmp/\u202egnp.exe\u009b31m\x7f` };
    const json = JSON.stringify(value);
    const safe = jsonForTerminal(json);
    expect(safe).toBe('{"path":"/tmp/\\u202Egnp.exe\\u009B31m\\u007F"}');
    expect(JSON.parse(safe)).toEqual(value);
  });
});

describe('stringsForTerminal', () => {
  it('escapes every string of a parsed answer, keys too, and keeps everything else', () => {
    const answer = { events: [{ args: { path: HOSTILE }, latency_us: 5, ok: true, none: null }], [`k\x1b`]: 'v' };
    expect(stringsForTerminal(answer)).toEqual({
      events: [{ args: { path: forTerminal(HOSTILE) }, latency_us: 5, ok: true, none: null }],
      'k\\x1B': 'v',
    });
  });
});
