// Queries from the app pages to the ZViz datasource through Grafana's query
// API, the same path panels take.
import { type DataFrame, FieldType, type TimeRange } from '@grafana/data';
import { type BackendDataSourceResponse, getBackendSrv, toDataQueryResponse } from '@grafana/runtime';
import { lastValueFrom } from 'rxjs';

import { ZVIZ_DATASOURCE_TYPE } from '@zviz/shared/plugin-ids';
import type { ZVizQuery } from '@zviz/shared/query';

export interface QueryResult {
  frames: DataFrame[];
  /** Error messages by refId. */
  errors: Record<string, string>;
}

export async function runQueries(datasourceUid: string, queries: ZVizQuery[], range: TimeRange): Promise<QueryResult> {
  const response = await lastValueFrom(
    getBackendSrv().fetch<BackendDataSourceResponse>({
      url: '/api/ds/query',
      method: 'POST',
      data: {
        queries: queries.map((q) => ({ ...q, datasource: { type: ZVIZ_DATASOURCE_TYPE, uid: datasourceUid } })),
        from: String(range.from.valueOf()),
        to: String(range.to.valueOf()),
      },
      showErrorAlert: false,
    })
  ).catch((err) => err);
  const { data, errors } = toDataQueryResponse(response);
  const byRef: Record<string, string> = {};
  for (const e of errors ?? []) {
    byRef[e.refId ?? '*'] = e.message ?? 'query failed';
  }
  return { frames: data as DataFrame[], errors: byRef };
}

/** Series of one query: labels and the last value of each frame. */
export function lastValues(
  frames: DataFrame[],
  refId: string
): Array<{ labels: Record<string, string>; value: number }> {
  return frames
    .filter((f) => f.refId === refId)
    .flatMap((f) => {
      const field = f.fields.find((x) => x.type === FieldType.number);
      if (!field || f.length === 0) {
        return [];
      }
      const value = field.values[f.length - 1];
      return typeof value === 'number' ? [{ labels: field.labels ?? {}, value }] : [];
    });
}

/** The single value of an aggregated instant query, or undefined when it returned nothing. */
export function scalar(frames: DataFrame[], refId: string): number | undefined {
  const values = lastValues(frames, refId);
  return values.length ? values[0].value : undefined;
}

export function promql(refId: string, expr: string): ZVizQuery {
  return { refId, queryType: 'promql', expr, instant: true };
}
