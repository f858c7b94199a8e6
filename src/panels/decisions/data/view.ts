// What the matrix shows for the current options: values in the chosen mode,
// the decisions shown, the rows that match the search, sorted and cut to top N.
import { type DecisionMatrix, type MatrixRow, sumTrends, type Trend } from './matrix';

export type DisplayMode = 'count' | 'rate' | 'share';

/** `syscall`, `total`, or the name of a decision. */
export type SortKey = string;

export interface ViewOptions {
  mode: DisplayMode;
  /** Decisions to show, in the data's order; undefined shows every decision in the data. */
  decisions?: string[];
  search: string;
  sortBy: SortKey;
  sortDesc: boolean;
  /** Keep the first N rows after sorting; 0 keeps all. */
  topN: number;
}

export interface ViewRow {
  syscall: string;
  /** Per decision, in the mode's unit (count, per second, or share of the row). */
  values: Record<string, number>;
  /** count or rate: the row's sum; share: the row's share of every shown decision. */
  total: number;
  counts: Record<string, number>;
  rates: Record<string, number>;
  trend?: Trend;
}

export interface MatrixView {
  decisions: string[];
  rows: ViewRow[];
  /** Rows that matched the search, before top N. */
  matched: number;
  /** Rows in the data. */
  available: number;
  /** Largest value per decision column (and `total`) among the matched rows, for colour scaling. */
  columnMax: Record<string, number>;
  /** Per decision over the matched rows, in count or rate (share mode uses counts). */
  columnTotals: Record<string, number>;
  /** False when the data has rates but no range, so counts are unknown. */
  hasCounts: boolean;
}

interface Matcher {
  include: Array<(s: string) => boolean>;
  exclude: Array<(s: string) => boolean>;
  error?: string;
}

/**
 * Search terms separated by spaces or commas: a row matches any plain term
 * (case-insensitive substring) and no term prefixed with `-`; `/re/` is a
 * regular expression.
 */
export function parseSearch(search: string): Matcher {
  const matcher: Matcher = { include: [], exclude: [] };
  for (const raw of search.split(/[\s,]+/).filter(Boolean)) {
    const negate = raw.startsWith('-') && raw.length > 1;
    const term = negate ? raw.slice(1) : raw;
    let test: (s: string) => boolean;
    const re = /^\/(.+)\/$/.exec(term);
    if (re) {
      try {
        const compiled = new RegExp(re[1], 'i');
        test = (s) => compiled.test(s);
      } catch (e) {
        matcher.error = `Invalid regular expression ${term}: ${(e as Error).message}`;
        continue;
      }
    } else {
      const needle = term.toLowerCase();
      test = (s) => s.toLowerCase().includes(needle);
    }
    (negate ? matcher.exclude : matcher.include).push(test);
  }
  return matcher;
}

export function matches(matcher: Matcher, syscall: string): boolean {
  if (matcher.exclude.some((t) => t(syscall))) {
    return false;
  }
  return matcher.include.length === 0 || matcher.include.some((t) => t(syscall));
}

function sum(values: Record<string, number>, keys: string[]): number {
  return keys.reduce((acc, k) => acc + (values[k] ?? 0), 0);
}

function rowTrend(row: MatrixRow, decisions: string[]): Trend | undefined {
  let trend: Trend | undefined;
  for (const d of decisions) {
    const t = row.trends[d];
    if (t) {
      trend = trend ? sumTrends(trend, t) : t;
    }
  }
  return trend;
}

export function buildView(matrix: DecisionMatrix, options: ViewOptions): MatrixView & { searchError?: string } {
  const wanted = options.decisions;
  const decisions = wanted ? matrix.decisions.filter((d) => wanted.includes(d)) : matrix.decisions;
  const hasCounts =
    matrix.rangeSeconds !== undefined || matrix.rows.some((r) => Object.values(r.counts).some((v) => v > 0));
  const matcher = parseSearch(options.search);
  const matchedRows = matrix.rows.filter((r) => matches(matcher, r.syscall));

  // Share is computed from counts, or from rates when counts are unknown;
  // both give the same proportions over one range.
  const basis = (r: MatrixRow) => (hasCounts ? r.counts : r.rates);
  const grandTotal = matchedRows.reduce((acc, r) => acc + sum(basis(r), decisions), 0);

  const rows: ViewRow[] = matchedRows.map((r) => {
    const source = options.mode === 'rate' ? r.rates : options.mode === 'count' ? r.counts : basis(r);
    const rowTotal = sum(source, decisions);
    const values: Record<string, number> = {};
    for (const d of decisions) {
      const v = source[d] ?? 0;
      values[d] = options.mode === 'share' ? (rowTotal > 0 ? v / rowTotal : 0) : v;
    }
    return {
      syscall: r.syscall,
      values,
      total: options.mode === 'share' ? (grandTotal > 0 ? rowTotal / grandTotal : 0) : rowTotal,
      counts: r.counts,
      rates: r.rates,
      trend: rowTrend(r, decisions),
    };
  });

  const key = options.sortBy;
  const direction = options.sortDesc ? -1 : 1;
  rows.sort((a, b) => {
    let cmp: number;
    if (key === 'syscall') {
      cmp = a.syscall.localeCompare(b.syscall);
    } else {
      const av = key === 'total' ? a.total : (a.values[key] ?? 0);
      const bv = key === 'total' ? b.total : (b.values[key] ?? 0);
      cmp = av - bv;
    }
    // Ties keep a stable, readable order.
    return cmp !== 0 ? cmp * direction : a.syscall.localeCompare(b.syscall);
  });

  const shown = options.topN > 0 ? rows.slice(0, options.topN) : rows;
  const columnMax: Record<string, number> = { total: 0 };
  const columnTotals: Record<string, number> = {};
  for (const d of decisions) {
    columnMax[d] = 0;
    columnTotals[d] = 0;
  }
  for (const r of rows) {
    columnMax.total = Math.max(columnMax.total, r.total);
    for (const d of decisions) {
      columnMax[d] = Math.max(columnMax[d], r.values[d]);
      columnTotals[d] += (options.mode === 'rate' ? r.rates[d] : r.counts[d]) ?? 0;
    }
  }

  return {
    decisions,
    rows: shown,
    matched: rows.length,
    available: matrix.rows.length,
    columnMax,
    columnTotals,
    hasCounts,
    searchError: matcher.error,
  };
}
