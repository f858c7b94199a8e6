// The shapes of Prometheus' HTTP API answers (also Mimir's, Thanos', Cortex')
// as schemas: the `success` envelope with its warnings, query results by
// resultType, and label value lists. Anything else (a proxy's HTML page, a
// different API, a truncated body) is an error naming Prometheus and the
// first paths that do not fit.
import * as z from 'zod/mini';

export type PromLabels = Record<string, string>;
export type PromPoint = [number, string];

export interface PromVectorSample {
  metric: PromLabels;
  value: PromPoint;
}

export interface PromMatrixSeries {
  metric: PromLabels;
  values: PromPoint[];
}

export type PromQueryResult =
  | { resultType: 'vector'; result: PromVectorSample[] }
  | { resultType: 'matrix'; result: PromMatrixSeries[] }
  | { resultType: 'scalar'; result: PromPoint }
  | { resultType: 'string'; result: PromPoint };

const labels = z.record(z.string(), z.string());
const point = z.tuple([z.number(), z.string()]);

/**
 * A series' samples. Checked in one loop rather than as a tuple schema per
 * sample: a range query carries up to 11,000 samples per series, and this is
 * the one hot path of every dashboard refresh.
 */
function isPoints(value: unknown): value is PromPoint[] {
  if (!Array.isArray(value)) {
    return false;
  }
  for (const p of value) {
    if (!Array.isArray(p) || p.length !== 2 || typeof p[0] !== 'number' || typeof p[1] !== 'string') {
      return false;
    }
  }
  return true;
}
const points = z.custom<PromPoint[]>(isPoints, { error: 'expected a list of [unix time, "value"] samples' });

export const matrixSeries = z.object({
  metric: labels,
  // A series of native histograms has `histograms` instead; it has no float samples.
  values: z.optional(points),
});

export const matrix = z.object({ resultType: z.literal('matrix'), result: z.array(matrixSeries) });

export const queryResult = z.discriminatedUnion('resultType', [
  matrix,
  z.object({ resultType: z.literal('vector'), result: z.array(z.object({ metric: labels, value: point })) }),
  z.object({ resultType: z.literal('scalar'), result: point }),
  z.object({ resultType: z.literal('string'), result: point }),
]);

/** `{"status":"success","data":…,"warnings":[…]}` around `data`. */
export function success<S extends z.ZodMiniType>(data: S) {
  return z.object({ status: z.literal('success'), data, warnings: z.optional(z.array(z.string())) });
}

/** How Prometheus explains a failed request (`status: error`); checked loosely, it is only shown. */
export const failure = z.object({
  status: z.literal('error'),
  errorType: z.optional(z.string()),
  error: z.optional(z.string()),
});

export const labelValues = z.array(z.string());
