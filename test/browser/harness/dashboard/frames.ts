// Prometheus API answers as the DataFrames Grafana's Prometheus datasource
// hands a panel: one frame per series (time and value, labels on the value
// field, legendFormat as its display name), or one long table for
// `format: table`, its value column "Value" or "Value #refId" when the panel
// has several targets.
import { createDataFrame, type DataFrame, type Field, FieldType } from '@grafana/data';

import type { PreparedTarget } from './targets';

export interface PromData {
  resultType: 'matrix' | 'vector' | 'scalar' | 'string';
  result: unknown;
}

interface PromSeries {
  metric: Record<string, string>;
  value?: [number, string];
  values?: Array<[number, string]>;
}

function number(v: string): number | null {
  const n = Number(v);
  // Prometheus writes NaN for empty quantiles; Grafana shows a gap there.
  return Number.isNaN(n) ? null : n;
}

function formatLabels(labels: Record<string, string>): string {
  const { __name__: name, ...rest } = labels;
  const inner = Object.entries(rest)
    .map(([k, v]) => `${k}="${v}"`)
    .join(', ');
  return `${name ?? ''}${inner || !name ? `{${inner}}` : ''}`;
}

/** The series' name in the legend: legendFormat's {{label}}s filled in, or the series' labels (Grafana's "Auto"). */
export function legendName(legendFormat: string | undefined, labels: Record<string, string>, expr: string): string {
  if (!legendFormat || legendFormat === '__auto') {
    return Object.keys(labels).length ? formatLabels(labels) : expr;
  }
  return legendFormat.replace(/\{\{\s*(.+?)\s*\}\}/g, (_, name: string) => labels[name] ?? '');
}

function seriesFrame(t: PreparedTarget, s: PromSeries): DataFrame {
  const points = s.values ?? (s.value ? [s.value] : []);
  const name = legendName(t.target.legendFormat, s.metric, t.expr);
  const { __name__: _, ...labels } = s.metric;
  return createDataFrame({
    refId: t.target.refId,
    name,
    fields: [
      {
        name: 'Time',
        type: FieldType.time,
        values: points.map((p) => p[0] * 1000),
        config: { interval: t.stepSeconds * 1000 },
      },
      {
        name: 'Value',
        type: FieldType.number,
        labels,
        values: points.map((p) => number(p[1])),
        config: { displayNameFromDS: name },
      },
    ],
  });
}

function tableFrame(t: PreparedTarget, series: PromSeries[], valueName: string): DataFrame {
  const labelNames = Array.from(new Set(series.flatMap((s) => Object.keys(s.metric)))).sort((a, b) =>
    a === '__name__' ? -1 : b === '__name__' ? 1 : a.localeCompare(b)
  );
  const rows = series.flatMap((s) => (s.values ?? (s.value ? [s.value] : [])).map((p) => ({ s, p })));
  const fields: Array<Partial<Field>> = [
    { name: 'Time', type: FieldType.time, values: rows.map((r) => r.p[0] * 1000) },
    ...labelNames.map((l) => ({ name: l, type: FieldType.string, values: rows.map((r) => r.s.metric[l] ?? '') })),
    { name: valueName, type: FieldType.number, values: rows.map((r) => number(r.p[1])) },
  ];
  return createDataFrame({ refId: t.target.refId, fields });
}

/** The frames of one target's answer. `panelTargets` is how many visible targets the panel has. */
export function toFrames(t: PreparedTarget, data: PromData, panelTargets: number): DataFrame[] {
  if (data.resultType === 'scalar') {
    const [time, value] = data.result as [number, string];
    return [seriesFrame(t, { metric: {}, value: [time, value] })];
  }
  if (data.resultType !== 'matrix' && data.resultType !== 'vector') {
    throw new Error(`${t.panel.title}: Prometheus answered a ${data.resultType}, which no panel can draw`);
  }
  const series = data.result as PromSeries[];
  if (t.target.format === 'table') {
    return series.length ? [tableFrame(t, series, panelTargets > 1 ? `Value #${t.target.refId}` : 'Value')] : [];
  }
  return series.map((s) => seriesFrame(t, s));
}
