import { createDataFrame, FieldType } from '@grafana/data';

import { decisionsFrames } from '../../../../test/support/frontend/decision-frames';
import { buildMatrix } from './matrix';
import { buildView, matches, parseSearch, type ViewOptions } from './view';

const base: ViewOptions = { mode: 'count', search: '', sortBy: 'total', sortDesc: true, topN: 0 };

function matrix() {
  return buildMatrix([
    createDataFrame({
      name: 'decisions',
      meta: { custom: { mode: 'count', rangeSeconds: 10 } },
      fields: [
        { name: 'syscall', type: FieldType.string, values: ['read', 'openat', 'mount', 'ptrace'] },
        { name: 'allow', type: FieldType.number, values: [100, 30, 0, 0] },
        { name: 'deny', type: FieldType.number, values: [0, 10, 4, 0] },
        { name: 'kill', type: FieldType.number, values: [0, 0, 0, 2] },
        { name: 'total', type: FieldType.number, values: [100, 40, 4, 2] },
      ],
    }),
  ]);
}

describe('buildView', () => {
  it('sorts by total, descending, by default', () => {
    expect(buildView(matrix(), base).rows.map((r) => r.syscall)).toEqual(['read', 'openat', 'mount', 'ptrace']);
  });

  it('sorts by a decision column and breaks ties by name', () => {
    const v = buildView(matrix(), { ...base, sortBy: 'deny' });
    expect(v.rows.map((r) => r.syscall)).toEqual(['openat', 'mount', 'ptrace', 'read']);
    const asc = buildView(matrix(), { ...base, sortBy: 'syscall', sortDesc: false });
    expect(asc.rows.map((r) => r.syscall)).toEqual(['mount', 'openat', 'ptrace', 'read']);
  });

  it('shows rates per second', () => {
    const v = buildView(matrix(), { ...base, mode: 'rate' });
    expect(v.rows[0].values.allow).toBe(10);
    expect(v.rows[0].total).toBe(10);
  });

  it('shows each decision as a share of its syscall, and the total as a share of everything', () => {
    const v = buildView(matrix(), { ...base, mode: 'share' });
    const openat = v.rows.find((r) => r.syscall === 'openat')!;
    expect(openat.values.allow).toBeCloseTo(0.75);
    expect(openat.values.deny).toBeCloseTo(0.25);
    expect(openat.total).toBeCloseTo(40 / 146);
    const shares = v.rows.reduce((a, r) => a + r.total, 0);
    expect(shares).toBeCloseTo(1);
  });

  it('restricts columns and totals to the decisions shown', () => {
    const v = buildView(matrix(), { ...base, decisions: ['deny', 'kill'] });
    expect(v.decisions).toEqual(['deny', 'kill']);
    expect(v.rows.map((r) => [r.syscall, r.total])).toEqual([
      ['openat', 10],
      ['mount', 4],
      ['ptrace', 2],
      ['read', 0],
    ]);
    expect(v.columnTotals).toEqual({ deny: 14, kill: 2 });
  });

  it('filters by search and keeps top N of the matches', () => {
    const v = buildView(matrix(), { ...base, search: 'o', topN: 1 });
    // read, openat, mount match "o"? read does not.
    expect(v.matched).toBe(2);
    expect(v.rows.map((r) => r.syscall)).toEqual(['openat']);
    expect(v.available).toBe(4);
  });

  it('scales colours by the largest value of each column', () => {
    const v = buildView(matrix(), base);
    expect(v.columnMax).toMatchObject({ allow: 100, deny: 10, kill: 2, total: 100 });
  });

  it('sums the shown decisions into each row trend', () => {
    const frames = decisionsFrames({ syscalls: 3, trendPoints: 4 });
    const m = buildMatrix(frames);
    const v = buildView(m, base);
    const read = v.rows.find((r) => r.syscall === 'read')!;
    const expected = Object.values(m.rows[0].trends).reduce((acc, t) => acc + t.values[0], 0);
    expect(read.trend?.values[0]).toBeCloseTo(expected);
  });

  it('reports an invalid regular expression', () => {
    expect(buildView(matrix(), { ...base, search: '/[/' }).searchError).toMatch(/Invalid regular expression/);
  });

  it('handles 400 syscalls', () => {
    const v = buildView(buildMatrix(decisionsFrames({ syscalls: 400 })), { ...base, topN: 50 });
    expect(v.available).toBe(400);
    expect(v.rows).toHaveLength(50);
    expect(v.rows[0].total).toBeGreaterThanOrEqual(v.rows[49].total);
  });
});

describe('search', () => {
  it.each([
    ['open', 'openat', true],
    ['OPEN', 'openat', true],
    ['open -openat', 'openat', false],
    ['-read', 'openat', true],
    ['/^(mount|umount2)$/', 'umount2', true],
    ['/^mount$/', 'umount2', false],
    ['read, write', 'write', true],
    ['', 'anything', true],
  ])('%j on %s: %s', (search, syscall, expected) => {
    expect(matches(parseSearch(search), syscall)).toBe(expected);
  });
});
