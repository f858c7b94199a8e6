import { css } from '@emotion/css';
import { type DataFrame, FieldType, type GrafanaTheme2, type TimeRange } from '@grafana/data';
import { type BackendDataSourceResponse, getBackendSrv, toDataQueryResponse } from '@grafana/runtime';
import { Alert, Drawer, LinkButton, LoadingPlaceholder, Stack, useStyles2 } from '@grafana/ui';
import React, { useEffect, useState } from 'react';
import { lastValueFrom } from 'rxjs';

import { AUDIT_FRAME } from '@zviz/shared/frames';
import type { ViewRow } from '../data/view';
import { formatValue } from '../format';
import { auditQuery, exploreUrl } from './audit';

interface Props {
  row: ViewRow;
  decision: string;
  /** Share of the syscall's decisions, 0..1. */
  share: number;
  hasCounts: boolean;
  datasourceUid?: string;
  range: TimeRange;
  limit: number;
  onClose: () => void;
}

type State = { loading: true } | { loading: false; frame?: DataFrame; error?: string };

// Record fields worth a column, in this order, when the frame has them
// (AUDIT_FIELDS); the log line's body only when the record fields are absent.
const COLUMNS = ['agent', 'container_id', 'profile', 'layer', 'latency_us', 'errno', 'args'];

export function AuditDrawer({ row, decision, share, hasCounts, datasourceUid, range, limit, onClose }: Props) {
  const styles = useStyles2(getStyles);
  // Keyed by cell in the panel: one drawer instance per syscall and decision.
  const [state, setState] = useState<State>({ loading: Boolean(datasourceUid) });
  const query = datasourceUid ? auditQuery(row.syscall, decision, datasourceUid, limit) : undefined;

  useEffect(() => {
    if (!datasourceUid) {
      return;
    }
    let cancelled = false;
    const request = getBackendSrv().fetch<BackendDataSourceResponse>({
      url: '/api/ds/query',
      method: 'POST',
      data: {
        queries: [auditQuery(row.syscall, decision, datasourceUid, limit)],
        from: String(range.from.valueOf()),
        to: String(range.to.valueOf()),
      },
    });
    lastValueFrom(request)
      .then((response) => {
        const { data, errors } = toDataQueryResponse(response);
        const frame = (data as DataFrame[]).find((f) => f.name === AUDIT_FRAME) ?? data[0];
        if (!cancelled) {
          setState({ loading: false, frame, error: errors?.map((e) => e.message).join('; ') || undefined });
        }
      })
      .catch((err) => {
        if (!cancelled) {
          const e = toDataQueryResponse(err).errors?.[0];
          setState({ loading: false, error: e?.message ?? err?.data?.message ?? String(err?.message ?? err) });
        }
      });
    return () => {
      cancelled = true;
    };
  }, [datasourceUid, row.syscall, decision, range, limit]);

  return (
    <Drawer
      title={`${row.syscall} · ${decision}`}
      subtitle="Audit events in the time range"
      onClose={onClose}
      size="md"
    >
      <Stack direction="column" gap={2}>
        <dl className={styles.stats}>
          {hasCounts && (
            <>
              <dt>Count</dt>
              <dd>{formatValue(row.counts[decision] ?? 0, 'count')}</dd>
            </>
          )}
          <dt>Rate</dt>
          <dd>{formatValue(row.rates[decision] ?? 0, 'rate')}</dd>
          <dt>Share of {row.syscall}</dt>
          <dd>{formatValue(share, 'share')}</dd>
        </dl>
        {query ? (
          <LinkButton icon="compass" variant="secondary" href={exploreUrl(query, range)}>
            Open in Explore
          </LinkButton>
        ) : (
          <Alert severity="info" title="No ZViz datasource for audit events">
            This panel&apos;s query is not a ZViz one. Choose an audit datasource in the panel options to see the events
            behind each cell.
          </Alert>
        )}
        {state.loading && <LoadingPlaceholder text="Loading audit events..." />}
        {!state.loading && state.error && (
          <Alert severity="error" title="Audit events could not be loaded">
            {state.error}
          </Alert>
        )}
        {!state.loading && state.frame && <Events frame={state.frame} />}
      </Stack>
    </Drawer>
  );
}

function Events({ frame }: { frame: DataFrame }) {
  const styles = useStyles2(getStyles);
  if (frame.length === 0) {
    return <p>No audit events for this syscall and decision in the time range (the agents keep a bounded history).</p>;
  }
  const time = frame.fields.find((f) => f.type === FieldType.time);
  let fields = COLUMNS.map((name) => frame.fields.find((f) => f.name === name)).filter((f) => f !== undefined);
  if (fields.length === 0) {
    fields = frame.fields.filter((f) => f.name === 'body');
  }
  return (
    <table className={styles.table} aria-label="Audit events">
      <thead>
        <tr>
          {time && <th>time</th>}
          {fields.map((f) => (
            <th key={f.name}>{f.name}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {Array.from({ length: frame.length }, (_, i) => (
          <tr key={i}>
            {time && <td>{new Date(Number(time.values[i])).toISOString()}</td>}
            {fields.map((f) => (
              <td key={f.name}>{String(f.values[i] ?? '')}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  stats: css({
    display: 'grid',
    gridTemplateColumns: 'max-content 1fr',
    gap: theme.spacing(0.5, 2),
    margin: 0,
    dt: { color: theme.colors.text.secondary },
    dd: { margin: 0, fontVariantNumeric: 'tabular-nums' },
  }),
  table: css({
    width: '100%',
    fontSize: theme.typography.bodySmall.fontSize,
    borderCollapse: 'collapse',
    'th, td': {
      textAlign: 'left',
      padding: theme.spacing(0.5),
      borderBottom: `1px solid ${theme.colors.border.weak}`,
      verticalAlign: 'top',
    },
    td: { fontFamily: theme.typography.fontFamilyMonospace, wordBreak: 'break-all' },
  }),
});
