import { css } from '@emotion/css';
import { type DataFrame, FieldType, type GrafanaTheme2, LiveChannelScope, LoadingState } from '@grafana/data';
import { getGrafanaLiveSrv } from '@grafana/runtime';
import { Alert, Badge, Button, useStyles2 } from '@grafana/ui';
import React, { useEffect, useState } from 'react';

import { testIds } from '../testIds';
import { DECISIONS_STREAM_PATH } from '@zviz/shared/query';

const SHOWN = 50;
const COLUMNS = ['container_id', 'syscall', 'decision', 'layer', 'latency_us'];

interface Row {
  time: number;
  cells: Record<string, string>;
}

/**
 * The newest rows of a streaming frame (Grafana Live keeps a bounded buffer
 * of it), newest first whatever order the packets came in.
 */
export function newestRows(frame: DataFrame | undefined, n = SHOWN): Row[] {
  if (!frame || frame.length === 0) {
    return [];
  }
  const time = frame.fields.find((f) => f.type === FieldType.time);
  const fields = COLUMNS.map((name) => frame.fields.find((f) => f.name === name));
  const rows: Row[] = [];
  for (let i = 0; i < frame.length; i++) {
    const cells: Record<string, string> = {};
    COLUMNS.forEach((name, c) => (cells[name] = fields[c] ? String(fields[c]!.values[i] ?? '') : ''));
    rows.push({ time: time ? Number(time.values[i]) : 0, cells });
  }
  // Stable: rows of one time keep their order.
  return rows.sort((a, b) => b.time - a.time).slice(0, n);
}

interface Props {
  datasourceUid: string;
  container?: string;
  decisions?: string[];
}

/** Decisions as they happen: Grafana Live channel ds/<uid>/decisions[/<container>]. */
export function LiveDecisions({ datasourceUid, container, decisions }: Props) {
  const styles = useStyles2(getStyles);
  const [paused, setPaused] = useState(false);
  const [state, setState] = useState<{ rows: Row[]; error?: string; streaming: boolean }>({
    rows: [],
    streaming: false,
  });

  useEffect(() => {
    if (paused) {
      return;
    }
    const subscription = getGrafanaLiveSrv()
      .getDataStream({
        addr: {
          scope: LiveChannelScope.DataSource,
          stream: datasourceUid,
          path: container ? `${DECISIONS_STREAM_PATH}/${container}` : DECISIONS_STREAM_PATH,
        },
        buffer: { maxLength: 500 },
      })
      .subscribe({
        next: (response) =>
          setState({
            rows: newestRows(response.data[0] as DataFrame | undefined, SHOWN * 4),
            error: response.errors?.[0]?.message,
            streaming: response.state === LoadingState.Streaming,
          }),
        error: (err) => setState((s) => ({ ...s, error: err?.message ?? String(err), streaming: false })),
      });
    return () => subscription.unsubscribe();
  }, [datasourceUid, container, paused]);

  const rows = state.rows.filter((r) => !decisions?.length || decisions.includes(r.cells.decision)).slice(0, SHOWN);
  return (
    <section className={styles.live} data-testid={testIds.decisions.live} aria-label="Live decisions">
      <header className={styles.header}>
        <h3 className={styles.title}>Live decisions</h3>
        {paused ? (
          <Badge text="paused" color="orange" />
        ) : state.streaming ? (
          <Badge text="streaming" color="green" icon="circle-mono" />
        ) : (
          <Badge text="connecting" color="blue" />
        )}
        <Button size="sm" variant="secondary" icon={paused ? 'play' : 'pause'} onClick={() => setPaused((p) => !p)}>
          {paused ? 'Resume' : 'Pause'}
        </Button>
      </header>
      {state.error && (
        <Alert severity="warning" title="The live stream is not available">
          {state.error}
        </Alert>
      )}
      {rows.length === 0 ? (
        <p className={styles.empty}>
          No decisions yet{container ? ` for ${container}` : ''}. New ones appear here as the brokers make them.
        </p>
      ) : (
        <table className={styles.table}>
          <thead>
            <tr>
              <th>time</th>
              {COLUMNS.map((c) => (
                <th key={c}>{c}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((r, i) => (
              <tr key={`${r.time}-${i}`} data-decision={r.cells.decision}>
                <td>{new Date(r.time).toISOString().slice(11, 23)}</td>
                {COLUMNS.map((c) => (
                  <td key={c}>{r.cells[c]}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  live: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(1) }),
  header: css({ display: 'flex', alignItems: 'center', gap: theme.spacing(1) }),
  title: css({ margin: 0, fontSize: theme.typography.h4.fontSize }),
  empty: css({ color: theme.colors.text.secondary }),
  table: css({
    width: '100%',
    borderCollapse: 'collapse',
    fontSize: theme.typography.bodySmall.fontSize,
    fontFamily: theme.typography.fontFamilyMonospace,
    'th, td': {
      textAlign: 'left',
      padding: theme.spacing(0.25, 1),
      borderBottom: `1px solid ${theme.colors.border.weak}`,
    },
    'tr[data-decision="deny"] td, tr[data-decision="kill"] td, tr[data-decision="trap"] td': {
      color: theme.colors.error.text,
    },
  }),
});
