import { css } from '@emotion/css';
import { type GrafanaTheme2, LoadingState, type PanelProps } from '@grafana/data';
import { PanelDataErrorView } from '@grafana/runtime';
import { Alert, useStyles2 } from '@grafana/ui';
import React, { useCallback, useMemo, useState } from 'react';

import { BROKER_DECISIONS_TOTAL } from '@zviz/shared/metric-names';

import { buildMatrix } from '../data/matrix';
import { buildView, type DisplayMode, type SortKey } from '../data/view';
import { type DecisionsPanelOptions, defaultOptions } from '../types';
import { findAuditDatasource } from './audit';
import { AuditDrawer } from './AuditDrawer';
import { Legend } from './Legend';
import { type CellTarget, Matrix } from './Matrix';
import { Toolbar } from './Toolbar';

type Props = PanelProps<DecisionsPanelOptions>;

// Toolbar and legend heights, only to size the first render of the rows
// before the browser measures the scrolling body.
const CHROME_ESTIMATE = 88;

export function DecisionsPanel(props: Props) {
  const options = { ...defaultOptions, ...props.options };
  // The toolbar changes what this viewer sees without editing the panel; new
  // panel options for the same settings start it over.
  const key = [options.mode, options.sortBy, options.sortDesc, options.topN].join('|');
  return <PanelBody key={key} {...props} options={options} />;
}

function PanelBody({ id, data, options, fieldConfig, width, height, timeRange }: Props) {
  const styles = useStyles2(getStyles);
  const [mode, setMode] = useState<DisplayMode>(options.mode);
  const [sortBy, setSortBy] = useState<SortKey>(options.sortBy);
  const [sortDesc, setSortDesc] = useState(options.sortDesc);
  const [topN, setTopN] = useState(options.topN);
  const [search, setSearch] = useState('');
  const [hidden, setHidden] = useState<string[]>([]);
  const [selected, setSelected] = useState<CellTarget | undefined>();

  const rangeSeconds = timeRange ? (timeRange.to.valueOf() - timeRange.from.valueOf()) / 1000 : undefined;
  const matrix = useMemo(
    () => buildMatrix(data.series, { rangeSeconds, inputKind: options.inputKind }),
    [data.series, rangeSeconds, options.inputKind]
  );
  const allowed = options.decisions.length
    ? matrix.decisions.filter((d) => options.decisions.includes(d))
    : matrix.decisions;
  const shownDecisions = allowed.filter((d) => !hidden.includes(d));
  const effectiveMode = mode === 'count' && matrix.rows.length > 0 && !hasAnyCounts(matrix) ? 'rate' : mode;
  const view = useMemo(
    () =>
      buildView(matrix, {
        mode: effectiveMode,
        decisions: shownDecisions,
        search,
        sortBy,
        sortDesc,
        topN,
      }),
    [matrix, effectiveMode, shownDecisions, search, sortBy, sortDesc, topN]
  );

  const onSort = useCallback(
    (key: SortKey) => {
      if (key === sortBy) {
        setSortDesc((d) => !d);
      } else {
        setSortBy(key);
        setSortDesc(key !== 'syscall');
      }
    },
    [sortBy]
  );
  const onToggle = useCallback(
    (d: string) => setHidden((h) => (h.includes(d) ? h.filter((x) => x !== d) : [...h, d])),
    []
  );

  const errors = data.errors ?? [];
  if (matrix.rows.length === 0) {
    if (data.state === LoadingState.Loading) {
      return <div className={styles.panel} aria-busy="true" />;
    }
    const reason =
      errors.length > 0
        ? errors.map((e) => e.message ?? 'query failed').join('; ')
        : data.series.length > 0
          ? `No syscall decisions in the result. ${matrix.warnings.join(' ')} Use the ZViz datasource's Decisions query, or Prometheus series of ${BROKER_DECISIONS_TOTAL} with syscall and decision labels.`
          : undefined;
    return <PanelDataErrorView panelId={id} data={data} fieldConfig={fieldConfig} needsStringField message={reason} />;
  }

  const selectedRow = selected && matrix.rows.find((r) => r.syscall === selected.syscall);
  const selectedView = selected && view.rows.find((r) => r.syscall === selected.syscall);
  const notices = [
    ...errors.map((e) => `A query failed, the matrix is partial: ${e.message ?? 'unknown error'}`),
    ...matrix.warnings,
  ];
  const basis = selectedRow && (view.hasCounts ? selectedRow.counts : selectedRow.rates);
  const denominator = basis ? allowed.reduce((a, d) => a + (basis[d] ?? 0), 0) : 0;

  return (
    <div className={styles.panel} data-testid="zviz-decisions-panel">
      {notices.length > 0 && (
        <Alert severity="warning" title={notices[0]} className={styles.notice}>
          {notices.length > 1 ? notices.slice(1).join(' ') : undefined}
        </Alert>
      )}
      {options.showToolbar && (
        <Toolbar
          search={search}
          onSearch={setSearch}
          searchError={view.searchError}
          mode={effectiveMode}
          onMode={setMode}
          topN={topN}
          onTopN={setTopN}
          shown={view.rows.length}
          matched={view.matched}
          available={view.available}
        />
      )}
      {view.rows.length === 0 ? (
        <div className={styles.noMatch}>No syscall matches &ldquo;{search}&rdquo;.</div>
      ) : (
        <Matrix
          view={view}
          mode={effectiveMode}
          width={width}
          height={Math.max(height - CHROME_ESTIMATE, 100)}
          showTrend={options.showTrend && width >= 480}
          sortBy={sortBy}
          sortDesc={sortDesc}
          onSort={onSort}
          onCellClick={setSelected}
          thresholds={fieldConfig?.defaults?.thresholds?.steps}
          thresholdScope={options.thresholdScope}
        />
      )}
      {options.showLegend && (
        <Legend
          decisions={allowed}
          hidden={hidden}
          onToggle={onToggle}
          totals={view.columnTotals}
          rate={effectiveMode === 'rate'}
          hasCounts={view.hasCounts}
          rangeSeconds={matrix.rangeSeconds}
          p99LatencySeconds={options.showLatency ? matrix.p99LatencySeconds : undefined}
        />
      )}
      {selected && selectedRow && (
        <AuditDrawer
          key={`${selected.syscall}|${selected.decision}`}
          row={selectedView ?? { ...selectedRow, values: {}, total: 0 }}
          decision={selected.decision}
          share={basis && denominator > 0 ? (basis[selected.decision] ?? 0) / denominator : 0}
          hasCounts={view.hasCounts}
          datasourceUid={findAuditDatasource(data.request, options.auditDatasourceUid)}
          range={data.timeRange ?? timeRange}
          limit={options.auditLimit}
          onClose={() => setSelected(undefined)}
        />
      )}
    </div>
  );
}

function hasAnyCounts(matrix: ReturnType<typeof buildMatrix>): boolean {
  return matrix.rangeSeconds !== undefined || matrix.rows.some((r) => Object.values(r.counts).some((v) => v > 0));
}

const getStyles = (theme: GrafanaTheme2) => ({
  panel: css({
    display: 'flex',
    flexDirection: 'column',
    width: '100%',
    height: '100%',
    minHeight: 0,
  }),
  notice: css({ marginBottom: theme.spacing(1), flex: '0 0 auto' }),
  noMatch: css({
    flex: '1 1 auto',
    color: theme.colors.text.secondary,
    padding: theme.spacing(2),
  }),
});
