// `decisions` queries: per-syscall decision counts or rates over the time
// range, from zviz_broker_decisions_total. Three PromQL queries run at once:
// the totals per (syscall, decision) at the end of the range, the rate trend
// over the range for the sparklines, and the broker's p99 latency. The panel
// gets one wide frame (a row per syscall, a column per decision) and one
// wide time series frame of the rates (packages/shared/src/frames.ts).
import { DECISIONS, type Decision } from '@zviz/shared/agent-api';
import {
  DECISION_TREND_FRAME,
  DECISIONS_FRAME,
  type DecisionsFrameMeta,
  SYSCALL_FIELD,
  TIME_FIELD,
  TOTAL_FIELD,
  VALUE_FIELD,
} from '@zviz/shared/frames';
import { BROKER_DECISIONS_TOTAL, BROKER_LATENCY_SECONDS } from '@zviz/shared/metric-names';

import type { PromMatrixSeries } from '../../clients/prometheus';
import {
  type Field,
  type Frame,
  frame,
  nanosColumnFromSeconds,
  numberField,
  stringField,
  timeField,
} from '../../frames/frame';
import type { ParsedQuery } from '../query-model';
import type { QueryContext } from './context';
import { anyOf, duration, planSteps, selector } from './promql-text';
import { sampleValue } from './series';

type DecisionsModel = Extract<ParsedQuery, { type: 'decisions' }>['model'];

export const DECISIONS_METRIC = BROKER_DECISIONS_TOTAL;
export const LATENCY_BUCKETS_METRIC = `${BROKER_LATENCY_SECONDS}_bucket`;

/** Sparklines need few points; more would only cost transfer. */
const TREND_POINTS = 60;

export interface DecisionsPromQL {
  totals: string;
  trend: string;
  p99: string;
}

/** The PromQL a decisions query runs, exposed for tests and the editors' "query inspector". */
export function decisionsPromQL(
  model: DecisionsModel,
  rangeSeconds: number,
  trendWindowSeconds: number
): DecisionsPromQL {
  const series = selector(DECISIONS_METRIC, [
    model.selector,
    anyOf('syscall', model.syscalls),
    anyOf('decision', model.decisions),
  ]);
  const range = duration(rangeSeconds);
  return {
    totals:
      model.mode === 'rate'
        ? `sum by (syscall, decision) (rate(${series}[${range}]))`
        : `sum by (syscall, decision) (${exactCount(series, range)})`,
    trend: `sum by (syscall, decision) (rate(${series}[${duration(trendWindowSeconds)}]))`,
    p99: `histogram_quantile(0.99, sum by (le) (rate(${selector(LATENCY_BUCKETS_METRIC, [model.selector])}[${duration(rangeSeconds)}])))`,
  };
}

/**
 * Decisions counted over the range, exactly where the samples allow it.
 * increase() extrapolates to the range's edges (30.4 decisions where 30 were
 * scraped) and misses the first value of a series that appears inside the
 * range: the broker exports a (syscall, decision) pair from its first
 * decision on, so the first burst of a new denial would count as nothing.
 * Instead: the difference between the last sample and the one before the
 * range starts; for a series born inside the range, its value (it started
 * from zero); only after a counter reset (an agent restart) does increase()
 * estimate.
 */
export function exactCount(series: string, range: string): string {
  const delta = `(${series} - ${series} offset ${range})`;
  const born = `(${series} unless ${series} offset ${range})`;
  return `((${delta} or ${born}) and (resets(${series}[${range}]) == 0)) or increase(${series}[${range}])`;
}

function decisionColumns(model: DecisionsModel): Decision[] {
  return model.decisions.length ? DECISIONS.filter((d) => model.decisions.includes(d)) : [...DECISIONS];
}

/**
 * One wide time series frame for every (syscall, decision) rate: a single
 * Arrow file however many syscalls there are (a frame per series would cost
 * an Arrow file each, hundreds for a busy fleet).
 */
function trendFrame(
  series: PromMatrixSeries[],
  columns: Decision[],
  grid: BigInt64Array,
  gridStart: number,
  step: number,
  /** Display names and units, for Grafana's own panels (mode `timeseries`); sparklines go without. */
  display: boolean
): Frame {
  const order = new Map(columns.map((d, i) => [d as string, i]));
  const sorted = series
    .filter((s) => order.has(s.metric.decision ?? ''))
    .sort(
      (a, b) =>
        (a.metric.syscall ?? '').localeCompare(b.metric.syscall ?? '') ||
        order.get(a.metric.decision!)! - order.get(b.metric.decision!)!
    );
  const fields: Field[] = [timeField(TIME_FIELD, grid)];
  for (const s of sorted) {
    const syscall = s.metric.syscall ?? '';
    const decision = s.metric.decision ?? '';
    const values = new Array<number | null>(grid.length).fill(null);
    for (const [t, v] of s.values) {
      const index = Math.round((t - gridStart) / step);
      if (index >= 0 && index < grid.length) {
        values[index] = sampleValue(v);
      }
    }
    // Field metadata is the dearest part of a wide frame's Arrow schema
    // (apache-arrow encodes it twice, at the head and in the footer).
    const config = display ? { config: { unit: 'ops', displayNameFromDS: `${syscall} ${decision}` } } : {};
    fields.push(numberField(VALUE_FIELD, values, { labels: { syscall, decision }, ...config }));
  }
  return frame(DECISION_TREND_FRAME, fields, { type: 'timeseries-wide', typeVersion: [0, 1] });
}

export async function runDecisions(ctx: QueryContext, model: DecisionsModel): Promise<Frame[]> {
  const { instance, query, call } = ctx;
  const prometheus = instance.requirePrometheus('the decisions query');
  const scrape = instance.settings.scrapeIntervalSeconds;
  const { from, to } = query.timeRange;
  const end = to / 1000;
  const rangeSeconds = Math.max(Math.round((to - from) / 1000), 1);
  const timeseries = model.mode === 'timeseries';
  const plan = planSteps(
    from,
    to,
    query.intervalMs,
    timeseries ? query.maxDataPoints : Math.min(query.maxDataPoints || TREND_POINTS, TREND_POINTS),
    scrape
  );
  const window = Math.max(plan.step, 4 * scrape);
  const promql = decisionsPromQL(model, rangeSeconds, window);

  const [totals, trend, p99] = await Promise.all([
    timeseries ? undefined : prometheus.query(promql.totals, end, call),
    prometheus.queryRange(promql.trend, plan.start, plan.end, plan.step, call),
    timeseries ? undefined : prometheus.query(promql.p99, end, call),
  ]);

  const columns = decisionColumns(model);
  const points = Math.floor((plan.end - plan.start) / plan.step) + 1;
  const grid = nanosColumnFromSeconds(Array.from({ length: points }, (_, i) => plan.start + i * plan.step));
  const trends = trendFrame(trend.data.result, columns, grid, plan.start, plan.step, timeseries);
  if (timeseries || !totals) {
    return [trends];
  }

  const rows = new Map<string, Map<string, number>>();
  const samples = totals.data.resultType === 'vector' ? totals.data.result : [];
  for (const sample of samples) {
    const syscall = sample.metric.syscall ?? '';
    let row = rows.get(syscall);
    if (!row) {
      row = new Map();
      rows.set(syscall, row);
    }
    row.set(sample.metric.decision ?? '', sampleValue(sample.value[1]));
  }
  const ordered = [...rows.entries()]
    .map(([syscall, row]) => ({ syscall, row, total: columns.reduce((sum, d) => sum + (row.get(d) ?? 0), 0) }))
    .sort((a, b) => b.total - a.total || a.syscall.localeCompare(b.syscall));

  const mode = model.mode === 'rate' ? 'rate' : 'count';
  const unit = mode === 'rate' ? 'ops' : 'short';
  const custom: DecisionsFrameMeta = { mode, rangeSeconds };
  const latency = p99?.data.resultType === 'vector' ? p99.data.result[0] : undefined;
  const p99Value = latency ? sampleValue(latency.value[1]) : NaN;
  if (Number.isFinite(p99Value)) {
    custom.p99LatencySeconds = p99Value;
  }
  const warnings = [...totals.warnings, ...trend.warnings, ...(p99?.warnings ?? [])];
  const wide = frame(
    DECISIONS_FRAME,
    [
      stringField(
        SYSCALL_FIELD,
        ordered.map((r) => r.syscall)
      ),
      ...columns.map((d) =>
        numberField(
          d,
          ordered.map((r) => r.row.get(d) ?? 0),
          { config: { unit } }
        )
      ),
      numberField(
        TOTAL_FIELD,
        ordered.map((r) => r.total),
        { config: { unit } }
      ),
    ],
    {
      type: 'table',
      preferredVisualisationType: 'table',
      custom,
      executedQueryString: `${promql.totals}\n${promql.trend}\n${promql.p99}`,
      ...(warnings.length ? { notices: warnings.map((text) => ({ severity: 'warning' as const, text })) } : {}),
    }
  );
  return [wide, trends];
}
