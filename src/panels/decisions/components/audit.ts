// The audit events behind a cell: the ZViz datasource's `audit` query for one
// syscall and decision, as a link to Explore and as a request the drawer runs.
import { type DataQueryRequest, dateTime, type TimeRange, urlUtil } from '@grafana/data';
import { config, getDataSourceSrv, getTemplateSrv } from '@grafana/runtime';

import type { AuditQuery } from '@zviz/shared/query';
import { ZVIZ_DATASOURCE_TYPE } from '@zviz/shared/plugin-ids';

export function auditQuery(
  syscall: string,
  decision: string,
  uid: string,
  limit: number
): AuditQuery & {
  datasource: { type: string; uid: string };
} {
  return {
    refId: 'audit',
    queryType: 'audit',
    syscall,
    decision,
    limit,
    datasource: { type: ZVIZ_DATASOURCE_TYPE, uid },
  };
}

function isZViz(uid: string): boolean {
  try {
    return getDataSourceSrv().getInstanceSettings(uid)?.type === ZVIZ_DATASOURCE_TYPE;
  } catch {
    return false;
  }
}

/**
 * The ZViz datasource to ask for audit events: the panel's own query's when it
 * is a ZViz one, else the one set in the panel options.
 */
export function findAuditDatasource(request: DataQueryRequest | undefined, fallbackUid?: string): string | undefined {
  const refs = request?.targets?.map((t) => t.datasource) ?? [];
  for (const ref of refs) {
    if (!ref?.uid) {
      continue;
    }
    const uid = getTemplateSrv().replace(ref.uid, request?.scopedVars);
    if (ref.type === ZVIZ_DATASOURCE_TYPE || isZViz(uid)) {
      return uid;
    }
  }
  return fallbackUid || undefined;
}

export function exploreUrl(query: ReturnType<typeof auditQuery>, range: TimeRange): string {
  const panes = {
    zviz: {
      datasource: query.datasource.uid,
      queries: [query],
      range: { from: String(range.from.valueOf()), to: String(range.to.valueOf()) },
    },
  };
  return `${config.appSubUrl ?? ''}${urlUtil.renderUrl('/explore', { schemaVersion: 1, panes: JSON.stringify(panes) })}`;
}

export function defaultRange(): TimeRange {
  const to = dateTime();
  const from = dateTime(to).subtract(1, 'h');
  return { from, to, raw: { from: 'now-1h', to: 'now' } };
}
