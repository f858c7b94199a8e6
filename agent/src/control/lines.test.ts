// Lines from a control-socket client, read with a bound on how much of one
// line the agent holds.
import { PassThrough } from 'node:stream';
import { expect, it } from 'vitest';

import { readLines } from './lines';

function reader(maxBytes: number) {
  const input = new PassThrough();
  const lines: string[] = [];
  let skipped = 0;
  readLines(
    input,
    maxBytes,
    (line) => lines.push(line),
    () => skipped++
  );
  return { input, lines, skipped: () => skipped };
}

it('gives each line once its newline comes, across reads', () => {
  const { input, lines } = reader(100);
  input.write('{"type":"sig');
  input.write('nal","signal":"SIGINT"}\n{"a":1}\n{"b"');
  expect(lines).toEqual(['{"type":"signal","signal":"SIGINT"}', '{"a":1}']);
  input.write(':2}\n\n');
  expect(lines).toEqual(['{"type":"signal","signal":"SIGINT"}', '{"a":1}', '{"b":2}', '']);
});

it('skips a line longer than the bound without holding it, and reads the next', () => {
  const { input, lines, skipped } = reader(16);
  input.write('short\n');
  // 10 MB without a newline, in reads of 64 KiB: nothing of it is kept.
  const block = Buffer.alloc(64 * 1024, 'x');
  for (let i = 0; i < 160; i++) {
    input.write(block);
  }
  input.write('still the long line\nafter\n');
  expect(lines).toEqual(['short', 'after']);
  expect(skipped()).toBe(1);
});

it('skips a line that passes the bound at its newline', () => {
  const { input, lines, skipped } = reader(4);
  input.write('12345\n1234\n');
  expect(lines).toEqual(['1234']);
  expect(skipped()).toBe(1);
});
