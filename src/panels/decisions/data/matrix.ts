// Turns the frames a query returned into one matrix of syscalls by decision.
//
// Three inputs are understood:
// - the ZViz datasource's `decisions` query: a wide frame (`syscall`, one
//   number field per decision, `total`) with DecisionsFrameMeta, plus optional
//   `decision_trend` frames (rates per second labelled {syscall, decision});
// - time series labelled {syscall, decision}: the datasource's `timeseries`
//   mode, or Prometheus `zviz_broker_decisions_total` (raw counters or rates);
// - long tables with `syscall` and `decision` string fields and a number field
//   (Prometheus table/instant format).
// Frames that fit none of them are reported as warnings, not dropped silently.
import { type DataFrame, type Field, FieldType } from '@grafana/data';

import { DECISIONS } from '@zviz/shared/agent-api';
import {
  DECISION_TREND_FRAME,
  DECISIONS_FRAME,
  type DecisionsFrameMeta,
  SYSCALL_FIELD,
  TOTAL_FIELD,
} from '@zviz/shared/frames';

/** What the numbers of time series or table inputs are; `auto` guesses from names and queries. */
export type InputKind = 'auto' | 'counter' | 'rate' | 'count';

export interface Trend {
  /** Epoch milliseconds, ascending. */
  times: number[];
  /** Decisions per second summed over the shown decisions of the row. */
  values: number[];
}

export interface MatrixRow {
  syscall: string;
  /** Decisions over the range, per decision. */
  counts: Record<string, number>;
  /** Decisions per second, per decision. */
  rates: Record<string, number>;
  /** Per-decision rate series, when the data has them. */
  trends: Record<string, Trend>;
}

export interface DecisionMatrix {
  /** Decisions present in the data, in the vocabulary's order, unknown ones last. */
  decisions: string[];
  rows: MatrixRow[];
  /** Seconds the counts cover; undefined when the data does not say and no time range was given. */
  rangeSeconds?: number;
  p99LatencySeconds?: number;
  /** Frames or fields that could not be used, in words a user can act on. */
  warnings: string[];
}

const KNOWN_ORDER: readonly string[] = DECISIONS;

export function orderDecisions(names: Iterable<string>): string[] {
  const unique = Array.from(new Set(names));
  return unique.sort((a, b) => {
    const ia = KNOWN_ORDER.indexOf(a);
    const ib = KNOWN_ORDER.indexOf(b);
    if (ia >= 0 && ib >= 0) {
      return ia - ib;
    }
    if (ia >= 0 || ib >= 0) {
      return ia >= 0 ? -1 : 1;
    }
    return a.localeCompare(b);
  });
}

class RowSet {
  private rows = new Map<string, MatrixRow>();
  decisions = new Set<string>();

  row(syscall: string): MatrixRow {
    let row = this.rows.get(syscall);
    if (!row) {
      row = { syscall, counts: {}, rates: {}, trends: {} };
      this.rows.set(syscall, row);
    }
    return row;
  }

  add(syscall: string, decision: string, count: number, rate: number) {
    const row = this.row(syscall);
    this.decisions.add(decision);
    row.counts[decision] = (row.counts[decision] ?? 0) + count;
    row.rates[decision] = (row.rates[decision] ?? 0) + rate;
  }

  addTrend(syscall: string, decision: string, trend: Trend) {
    const row = this.row(syscall);
    const existing = row.trends[decision];
    row.trends[decision] = existing ? sumTrends(existing, trend) : trend;
  }

  all(): MatrixRow[] {
    return Array.from(this.rows.values());
  }
}

export function sumTrends(a: Trend, b: Trend): Trend {
  const byTime = new Map<number, number>();
  a.times.forEach((t, i) => byTime.set(t, (byTime.get(t) ?? 0) + (a.values[i] ?? 0)));
  b.times.forEach((t, i) => byTime.set(t, (byTime.get(t) ?? 0) + (b.values[i] ?? 0)));
  const times = Array.from(byTime.keys()).sort((x, y) => x - y);
  return { times, values: times.map((t) => byTime.get(t) ?? 0) };
}

function numberAt(field: Field, i: number): number {
  const v = field.values[i];
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

function frameLabel(frame: DataFrame, index: number): string {
  return frame.name || frame.refId ? `frame "${frame.name ?? frame.refId}"` : `frame ${index + 1}`;
}

function isWideDecisionsFrame(frame: DataFrame): boolean {
  if (frame.name === DECISIONS_FRAME) {
    return true;
  }
  // Unnamed (for example after a transformation), but shaped like one.
  return (
    frame.fields.some((f) => f.name === SYSCALL_FIELD && f.type === FieldType.string) &&
    frame.fields.some((f) => f.type === FieldType.number && KNOWN_ORDER.includes(f.name)) &&
    !frame.fields.some((f) => f.name === 'decision')
  );
}

function readWide(frame: DataFrame, rows: RowSet, rangeSeconds: number | undefined, warnings: string[], label: string) {
  const meta = frame.meta?.custom as Partial<DecisionsFrameMeta> | undefined;
  const syscallField = frame.fields.find((f) => f.name === SYSCALL_FIELD);
  if (!syscallField) {
    warnings.push(`${label} has no "${SYSCALL_FIELD}" field; it was ignored.`);
    return;
  }
  const range = meta?.rangeSeconds ?? rangeSeconds;
  const valuesAreRates = meta?.mode === 'rate';
  const decisionFields = frame.fields.filter(
    (f) => f.type === FieldType.number && f.name !== TOTAL_FIELD && f !== syscallField
  );
  for (let i = 0; i < frame.length; i++) {
    const syscall = String(syscallField.values[i] ?? '');
    if (!syscall) {
      continue;
    }
    rows.row(syscall);
    for (const field of decisionFields) {
      const v = numberAt(field, i);
      const count = valuesAreRates ? (range ? v * range : 0) : v;
      const rate = valuesAreRates ? v : range ? v / range : 0;
      rows.add(syscall, field.name, count, rate);
    }
  }
  if (valuesAreRates && !range) {
    warnings.push(`${label} holds rates without a range; counts cannot be shown.`);
  }
}

function guessKind(frame: DataFrame, metricName: string | undefined, points: number, override: InputKind): InputKind {
  if (override !== 'auto') {
    return override;
  }
  if (metricName?.endsWith('_total')) {
    return 'counter';
  }
  const expr = frame.meta?.executedQueryString ?? '';
  if (/\b(i?rate)\s*\(/.test(expr)) {
    return 'rate';
  }
  if (/\bincrease\s*\(/.test(expr)) {
    return 'count';
  }
  // A single point is an instant result; several are a range of samples.
  return points > 1 ? 'rate' : 'count';
}

/** Sum of positive steps, treating a drop as a counter reset (as PromQL's increase does, without extrapolation). */
export function counterIncrease(values: number[]): number {
  let total = 0;
  for (let i = 1; i < values.length; i++) {
    const step = values[i] - values[i - 1];
    total += step >= 0 ? step : values[i];
  }
  return total;
}

/**
 * Reads every number field labelled {syscall, decision} of a time series
 * frame: one field per frame (Prometheus, multi-frame) or many sharing one
 * time field (the backend's `timeseries-wide` trend frame). Returns false when
 * the frame has no such field.
 */
function readSeries(
  frame: DataFrame,
  rows: RowSet,
  rangeSeconds: number | undefined,
  kindOverride: InputKind,
  trendOnly: boolean
): boolean {
  const timeField = frame.fields.find((f) => f.type === FieldType.time);
  const series = frame.fields.filter(
    (f) => f.type === FieldType.number && f.labels?.syscall !== undefined && f.labels?.decision !== undefined
  );
  for (const field of series) {
    readOneSeries(frame, field, timeField, rows, rangeSeconds, kindOverride, trendOnly);
  }
  return series.length > 0;
}

function readOneSeries(
  frame: DataFrame,
  field: Field,
  timeField: Field | undefined,
  rows: RowSet,
  rangeSeconds: number | undefined,
  kindOverride: InputKind,
  trendOnly: boolean
) {
  const { syscall, decision, __name__: name } = field.labels!;
  const times: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < frame.length; i++) {
    const v = field.values[i];
    // Gaps (null) are missing samples, not zeros.
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      continue;
    }
    times.push(timeField ? Number(timeField.values[i]) : i);
    values.push(v);
  }
  const kind = guessKind(frame, name, values.length, kindOverride);
  const spanSeconds = times.length > 1 ? (times[times.length - 1] - times[0]) / 1000 : undefined;

  let trend: Trend | undefined;
  if (timeField && values.length > 1) {
    trend = kind === 'counter' ? counterToRates(times, values) : kind === 'rate' ? { times, values } : undefined;
  }
  if (trend) {
    rows.addTrend(syscall, decision, trend);
  }
  if (trendOnly) {
    rows.row(syscall);
    return;
  }

  let count = 0;
  let rate = 0;
  const range = rangeSeconds ?? spanSeconds;
  if (kind === 'counter') {
    count = counterIncrease(values);
    rate = spanSeconds ? count / spanSeconds : 0;
  } else if (kind === 'rate') {
    rate = values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0;
    count = range ? rate * range : 0;
  } else {
    count = values.length ? values[values.length - 1] : 0;
    rate = range ? count / range : 0;
  }
  rows.add(syscall, decision, count, rate);
}

function counterToRates(times: number[], values: number[]): Trend {
  const out: Trend = { times: [], values: [] };
  for (let i = 1; i < values.length; i++) {
    const dt = (times[i] - times[i - 1]) / 1000;
    if (dt <= 0) {
      continue;
    }
    const step = values[i] - values[i - 1];
    out.times.push(times[i]);
    out.values.push((step >= 0 ? step : values[i]) / dt);
  }
  return out;
}

function readLong(
  frame: DataFrame,
  rows: RowSet,
  rangeSeconds: number | undefined,
  kindOverride: InputKind,
  warnings: string[],
  label: string
): boolean {
  const syscallField = frame.fields.find((f) => f.name === SYSCALL_FIELD);
  const decisionField = frame.fields.find((f) => f.name === 'decision');
  const valueField = frame.fields.find((f) => f.type === FieldType.number);
  if (!syscallField || !decisionField) {
    return false;
  }
  if (!valueField) {
    warnings.push(`${label} has syscall and decision fields but no number field; it was ignored.`);
    return true;
  }
  const kind = guessKind(frame, undefined, 1, kindOverride);
  for (let i = 0; i < frame.length; i++) {
    const syscall = String(syscallField.values[i] ?? '');
    const decision = String(decisionField.values[i] ?? '');
    if (!syscall || !decision) {
      continue;
    }
    const v = numberAt(valueField, i);
    if (kind === 'rate') {
      rows.add(syscall, decision, rangeSeconds ? v * rangeSeconds : 0, v);
    } else {
      rows.add(syscall, decision, v, rangeSeconds ? v / rangeSeconds : 0);
    }
  }
  return true;
}

export interface BuildOptions {
  /** Seconds of the dashboard time range; used when the frames do not say. */
  rangeSeconds?: number;
  inputKind?: InputKind;
}

export function buildMatrix(series: DataFrame[], options: BuildOptions = {}): DecisionMatrix {
  const rows = new RowSet();
  const warnings: string[] = [];
  const kind = options.inputKind ?? 'auto';
  let rangeSeconds = options.rangeSeconds;
  let p99: number | undefined;

  const wide = series.filter(isWideDecisionsFrame);
  for (const frame of wide) {
    const meta = frame.meta?.custom as Partial<DecisionsFrameMeta> | undefined;
    if (meta?.rangeSeconds) {
      rangeSeconds = meta.rangeSeconds;
    }
    if (typeof meta?.p99LatencySeconds === 'number' && Number.isFinite(meta.p99LatencySeconds)) {
      p99 = meta.p99LatencySeconds;
    }
  }
  wide.forEach((frame) => readWide(frame, rows, rangeSeconds, warnings, frameLabel(frame, series.indexOf(frame))));

  series.forEach((frame, index) => {
    if (wide.includes(frame)) {
      return;
    }
    const label = frameLabel(frame, index);
    // With a wide frame present, time series only draw sparklines: their
    // numbers are already in the wide frame. Without one (mode `timeseries`),
    // the backend's trend frame is the data, in decisions per second.
    const trendOnly = wide.length > 0;
    const seriesKind = trendOnly || frame.name === DECISION_TREND_FRAME ? 'rate' : kind;
    if (readSeries(frame, rows, rangeSeconds, seriesKind, trendOnly)) {
      return;
    }
    if (readLong(frame, rows, rangeSeconds, kind, warnings, label)) {
      return;
    }
    if (frame.fields.length > 0) {
      warnings.push(`${label} has no syscall and decision (as fields or labels); it was ignored.`);
    }
  });

  return {
    decisions: orderDecisions(rows.decisions),
    rows: rows.all(),
    rangeSeconds,
    p99LatencySeconds: p99,
    warnings,
  };
}
