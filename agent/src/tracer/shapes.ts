// How a kind of kernel entry becomes catalog series. A row carries raw
// monotonic values (counts, sums, kernel histogram buckets) so that folding
// into `other` stays a plain sum; shaping into catalog buckets happens last.
import type { HistogramSample, Labels, ValueSample } from '../metrics/source';
import { foldBuckets, type FoldPlan } from './buckets';
import type { Latest } from './series-cap';

export interface HistogramShape {
  metric: string;
  countIndex: number;
  sumIndex: number;
  bucketOffset: number;
  plan: FoldPlan;
  bounds: number;
}

export interface RowShape {
  counters: readonly { metric: string; index: number }[];
  histogram?: HistogramShape;
  latest?: string;
  /** Value index that counts observations (for overflow accounting). */
  countIndex: number;
}

export interface Row {
  key: string;
  cgroup: bigint;
  labels: Labels;
  values: number[];
  latest?: Latest;
}

export type SampleSink = (metric: string, sample: ValueSample | HistogramSample) => void;

export function seriesPerRow(shape: RowShape): number {
  return shape.counters.length + (shape.histogram ? shape.histogram.bounds + 3 : 0) + (shape.latest ? 1 : 0);
}

/** Emits a row's samples; returns how many series they make. */
export function emitRow(
  shape: RowShape,
  labels: Labels,
  values: readonly number[],
  latest: Latest | undefined,
  sink: SampleSink
): number {
  let series = 0;
  for (const counter of shape.counters) {
    sink(counter.metric, { labels, value: values[counter.index] });
    series++;
  }
  const h = shape.histogram;
  if (h && values[h.countIndex] > 0) {
    sink(h.metric, {
      labels,
      buckets: foldBuckets(h.plan, values, h.bucketOffset, h.bounds),
      sum: values[h.sumIndex] / 1e9,
      count: values[h.countIndex],
    });
    series += h.bounds + 3;
  }
  if (shape.latest && latest && latest.at > 0) {
    sink(shape.latest, { labels, value: latest.ns / 1e9 });
    series++;
  }
  return series;
}
