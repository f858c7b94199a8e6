import Table from 'cli-table3';
import { createColors } from 'picocolors';
import { describe, expect, it } from 'vitest';

import { NO_BORDER, table } from './table';

/** cli-table3 laying out every row at once, as table() does below a hundred rows. */
function whole(head: string[], align: Array<'left' | 'right'>, rows: string[][], c: ReturnType<typeof createColors>) {
  const t = new Table({
    head: head.map((h) => c.bold(h)),
    chars: NO_BORDER,
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0, compact: true },
    colAligns: align,
  });
  t.push(...rows);
  return t
    .toString()
    .split('\n')
    .map((l) => l.trimEnd());
}

describe('table', () => {
  const head = ['NAME', 'STATE', 'CPU'];
  const align: Array<'left' | 'right'> = ['left', 'left', 'right'];
  // A thousand rows, the widest late in the table, some colored.
  const rows = (c: ReturnType<typeof createColors>) =>
    Array.from({ length: 1000 }, (_, i) => [
      i === 977 ? 'a-rather-long-container-name-977' : `job-${i}`,
      i % 3 === 0 ? c.red('failed') : 'running',
      // The signs top prints: a missing value, a unit, an ellipsis.
      i % 5 === 0 ? '–' : i % 11 === 0 ? '3 µs' : i % 13 === 0 ? `${i}…` : (i / 7).toFixed(2),
    ]);

  it.each([true, false])('lays out a thousand rows itself, line for line as cli-table3 would (color %s)', (color) => {
    const c = createColors(color);
    const lines = table(head, align, rows(c), c);
    expect(lines).toHaveLength(1001);
    expect(lines).toEqual(whole(head, align, rows(c), c));
  });

  it('lays out a few rows, and rows with an empty or missing cell, as cli-table3 does', () => {
    const c = createColors(true);
    const few = [
      ['a', c.green('ok'), '1'],
      ['', '', ''],
      ['b', 'x'],
    ];
    expect(table(head, align, few, c)).toEqual(whole(head, align, few, c));
    expect(table(head, align, [], c)).toEqual(whole(head, align, [], c));
  });

  it('falls back to one table for text whose width it does not measure itself', () => {
    const c = createColors(false);
    const wide = rows(c);
    wide[500][0] = 'コンテナ';
    expect(table(head, align, wide, c)).toEqual(whole(head, align, wide, c));
  });
});
