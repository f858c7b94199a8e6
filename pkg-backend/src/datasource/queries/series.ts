// Prometheus results as frames: one frame per series with a `time` field and
// a `value` field carrying the series' labels, as Grafana's alerting and
// panels read multi-frame time series (dataplane timeseries-multi and
// numeric-multi).
import { TIME_FIELD, VALUE_FIELD } from '@zviz/shared/frames';

import type { PromLabels, PromMatrixSeries, PromPoint, PromQueryResult } from '../../clients/prometheus';
import {
  type Frame,
  type FrameMeta,
  frame,
  nanosColumnFromSeconds,
  nanosFromSeconds,
  numberField,
  stringField,
  timeField,
} from '../../frames/frame';

/** Prometheus' sample values are strings, including NaN and ±Inf. */
export function sampleValue(text: string): number {
  switch (text) {
    case '+Inf':
      return Infinity;
    case '-Inf':
      return -Infinity;
    default:
      return Number(text);
  }
}

/** `metric{a="1", b="2"}`, the way Prometheus prints a series. */
export function seriesName(labels: PromLabels): string {
  const { __name__: name = '', ...rest } = labels;
  const pairs = Object.entries(rest).map(([k, v]) => `${k}="${v}"`);
  return pairs.length ? `${name}{${pairs.join(', ')}}` : name || '{}';
}

/** Grafana's `{{label}}` legend templates. */
export function formatLegend(template: string, labels: PromLabels): string {
  return template.replace(/\{\{\s*(.+?)\s*\}\}/g, (_, name: string) => labels[name] ?? '');
}

function displayName(labels: PromLabels, legendFormat: string): string {
  return legendFormat ? formatLegend(legendFormat, labels) : seriesName(labels);
}

function seriesFrame(labels: PromLabels, points: PromPoint[], meta: FrameMeta, legendFormat: string): Frame {
  const seconds = new Float64Array(points.length);
  const values = new Float64Array(points.length);
  for (let i = 0; i < points.length; i++) {
    seconds[i] = points[i][0];
    values[i] = sampleValue(points[i][1]);
  }
  const times = nanosColumnFromSeconds(seconds);
  const name = displayName(labels, legendFormat);
  return frame(
    name,
    [timeField(TIME_FIELD, times), numberField(VALUE_FIELD, values, { labels, config: { displayNameFromDS: name } })],
    meta
  );
}

export function matrixFrames(series: PromMatrixSeries[], meta: FrameMeta, legendFormat: string): Frame[] {
  const typed: FrameMeta = { ...meta, type: 'timeseries-multi', typeVersion: [0, 1] };
  if (series.length === 0) {
    // An empty typed frame says "no data" to alerting and panels alike.
    return [frame('', [timeField(TIME_FIELD, []), numberField(VALUE_FIELD, [])], typed)];
  }
  return series.map((s) => seriesFrame(s.metric, s.values, typed, legendFormat));
}

export function instantFrames(result: PromQueryResult, meta: FrameMeta, legendFormat: string): Frame[] {
  switch (result.resultType) {
    case 'matrix':
      return matrixFrames(result.result, meta, legendFormat);
    case 'vector': {
      const typed: FrameMeta = { ...meta, type: 'numeric-multi', typeVersion: [0, 1] };
      if (result.result.length === 0) {
        return [frame('', [numberField(VALUE_FIELD, [])], typed)];
      }
      return result.result.map((s) => seriesFrame(s.metric, [s.value], typed, legendFormat));
    }
    case 'scalar':
      return [seriesFrame({}, [result.result], { ...meta, type: 'numeric-multi', typeVersion: [0, 1] }, legendFormat)];
    case 'string':
      return [
        frame(
          '',
          [timeField(TIME_FIELD, [nanosFromSeconds(result.result[0])]), stringField(VALUE_FIELD, [result.result[1]])],
          meta
        ),
      ];
  }
}
