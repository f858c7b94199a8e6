import { css, cx } from '@emotion/css';
import { getActiveThreshold, type GrafanaTheme2, type Threshold } from '@grafana/data';
import { Icon, useStyles2, useTheme2 } from '@grafana/ui';
import { useVirtualizer } from '@tanstack/react-virtual';
import React, { memo, useRef } from 'react';

import type { DisplayMode, MatrixView, SortKey, ViewRow } from '../data/view';
import { formatValue } from '../format';
import { cellBackground, decisionColor, isAttention, textOn } from './colors';
import { Sparkline } from './Sparkline';

export const ROW_HEIGHT = 28;
const TREND_WIDTH = 88;

export interface CellTarget {
  syscall: string;
  decision: string;
}

interface Props {
  view: MatrixView;
  mode: DisplayMode;
  width: number;
  /** Expected height of the scrolling body, used until the DOM is measured. */
  height: number;
  showTrend: boolean;
  sortBy: SortKey;
  sortDesc: boolean;
  onSort: (key: SortKey) => void;
  onCellClick: (target: CellTarget) => void;
  thresholds?: Threshold[];
  thresholdScope: 'attention' | 'all';
}

function columns(decisions: number, showTrend: boolean): string {
  return [
    'minmax(110px, 1.6fr)',
    showTrend ? `${TREND_WIDTH}px` : '',
    decisions > 0 ? `repeat(${decisions}, minmax(52px, 1fr))` : '',
    'minmax(60px, 1fr)',
  ]
    .filter(Boolean)
    .join(' ');
}

export function Matrix(props: Props) {
  const { view, width, height, showTrend, sortBy, sortDesc, onSort } = props;
  const styles = useStyles2(getStyles);
  const scrollRef = useRef<HTMLDivElement>(null);
  const grid = columns(view.decisions.length, showTrend);

  // TanStack Virtual returns fresh functions each render; this project does not
  // run the React Compiler, so its memoization warning does not apply.
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtualizer = useVirtualizer({
    count: view.rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 8,
    // The panel knows its size before the DOM is measured; start with it so
    // the first paint already has rows.
    initialRect: { width, height },
  });

  const header = (key: SortKey, label: React.ReactNode, ariaLabel: string, extra?: string) => {
    const active = sortBy === key;
    return (
      <div
        role="columnheader"
        aria-sort={active ? (sortDesc ? 'descending' : 'ascending') : 'none'}
        className={cx(styles.headerCell, extra)}
      >
        <button
          type="button"
          className={styles.headerButton}
          onClick={() => onSort(key)}
          aria-label={`Sort by ${ariaLabel}`}
        >
          {label}
          {active && <Icon name={sortDesc ? 'arrow-down' : 'arrow-up'} size="sm" />}
        </button>
      </div>
    );
  };

  return (
    <div
      role="grid"
      aria-label="Decisions by syscall"
      aria-rowcount={view.rows.length + 1}
      aria-colcount={view.decisions.length + (showTrend ? 3 : 2)}
      className={styles.grid}
    >
      <div role="row" aria-rowindex={1} className={styles.header} style={{ gridTemplateColumns: grid }}>
        {header('syscall', 'syscall', 'syscall', styles.nameHeader)}
        {showTrend && (
          <div role="columnheader" className={styles.headerCell}>
            trend
          </div>
        )}
        {view.decisions.map((d) => (
          <React.Fragment key={d}>{header(d, <DecisionLabel decision={d} />, d, styles.numberHeader)}</React.Fragment>
        ))}
        {header('total', props.mode === 'share' ? 'share' : 'total', 'total', styles.numberHeader)}
      </div>
      <div ref={scrollRef} className={styles.body} data-testid="zviz-decisions-scroll">
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {virtualizer.getVirtualItems().map((item) => (
            <Row
              key={view.rows[item.index].syscall}
              row={view.rows[item.index]}
              index={item.index}
              top={item.start}
              grid={grid}
              {...props}
            />
          ))}
        </div>
      </div>
    </div>
  );
}

function DecisionLabel({ decision }: { decision: string }) {
  const theme = useTheme2();
  return (
    <span style={{ display: 'inline-flex', alignItems: 'center', gap: 4 }}>
      <span style={{ width: 8, height: 8, borderRadius: 2, background: decisionColor(theme, decision) }} />
      {decision}
    </span>
  );
}

interface RowProps extends Props {
  row: ViewRow;
  index: number;
  top: number;
  grid: string;
}

const Row = memo(function Row({
  row,
  index,
  top,
  grid,
  view,
  mode,
  showTrend,
  onCellClick,
  thresholds,
  thresholdScope,
}: RowProps) {
  const theme = useTheme2();
  const styles = useStyles2(getStyles);
  const thresholdColor = (decision: string, value: number): string | undefined => {
    if (!thresholds?.length || value <= 0 || (thresholdScope === 'attention' && !isAttention(decision))) {
      return undefined;
    }
    const active = getActiveThreshold(value, thresholds);
    // The base step (-Infinity) means "below every threshold".
    if (active === thresholds[0] || active.value === -Infinity) {
      return undefined;
    }
    return theme.visualization.getColorByName(active.color);
  };
  const trendColor =
    row.values.deny || row.values.kill || row.values.trap ? decisionColor(theme, 'deny') : theme.colors.primary.main;

  return (
    <div
      role="row"
      aria-rowindex={index + 2}
      className={styles.row}
      style={{ transform: `translateY(${top}px)`, gridTemplateColumns: grid }}
    >
      <div role="rowheader" className={styles.name} title={row.syscall}>
        {row.syscall}
      </div>
      {showTrend && (
        <div role="gridcell" className={styles.trend}>
          <Sparkline
            trend={row.trend}
            width={TREND_WIDTH - 8}
            height={ROW_HEIGHT - 8}
            color={trendColor}
            label={`${row.syscall} trend`}
          />
        </div>
      )}
      {view.decisions.map((d) => {
        const value = row.values[d] ?? 0;
        const text = formatValue(value, mode);
        const threshold = thresholdColor(d, value);
        const background = threshold ?? cellBackground(theme, d, value, view.columnMax[d] ?? 0);
        return (
          <div role="gridcell" key={d} className={styles.cellWrap}>
            <button
              type="button"
              className={cx(
                styles.cell,
                value > 0 && isAttention(d) && styles.attention,
                threshold && styles.overThreshold
              )}
              style={{ background, color: textOn(theme, background) }}
              aria-label={`${row.syscall} ${d}: ${text}. Show audit events`}
              data-decision={d}
              data-value={value}
              onClick={() => onCellClick({ syscall: row.syscall, decision: d })}
            >
              {value > 0 ? text : <span className={styles.zero}>0</span>}
            </button>
          </div>
        );
      })}
      <div role="gridcell" className={styles.total}>
        {formatValue(row.total, mode)}
      </div>
    </div>
  );
});

const getStyles = (theme: GrafanaTheme2) => ({
  grid: css({
    display: 'flex',
    flexDirection: 'column',
    flex: '1 1 auto',
    minHeight: 0,
    fontSize: theme.typography.bodySmall.fontSize,
    fontVariantNumeric: 'tabular-nums',
  }),
  header: css({
    display: 'grid',
    flex: '0 0 auto',
    borderBottom: `1px solid ${theme.colors.border.medium}`,
    color: theme.colors.text.secondary,
    // Leave room for the body's scrollbar so columns line up.
    paddingRight: theme.spacing(1),
  }),
  headerCell: css({
    display: 'flex',
    alignItems: 'center',
    height: ROW_HEIGHT,
    padding: theme.spacing(0, 0.5),
    overflow: 'hidden',
  }),
  nameHeader: css({ justifyContent: 'flex-start' }),
  numberHeader: css({ justifyContent: 'flex-end' }),
  headerButton: css({
    display: 'inline-flex',
    alignItems: 'center',
    gap: theme.spacing(0.5),
    background: 'none',
    border: 'none',
    padding: 0,
    color: 'inherit',
    font: 'inherit',
    cursor: 'pointer',
    whiteSpace: 'nowrap',
    '&:hover': { color: theme.colors.text.primary },
  }),
  body: css({
    flex: '1 1 auto',
    minHeight: 0,
    overflowY: 'auto',
    overflowX: 'hidden',
    scrollbarGutter: 'stable',
  }),
  row: css({
    position: 'absolute',
    top: 0,
    left: 0,
    width: '100%',
    height: ROW_HEIGHT,
    display: 'grid',
    alignItems: 'stretch',
    borderBottom: `1px solid ${theme.colors.border.weak}`,
    '&:hover': { background: theme.colors.action.hover },
  }),
  name: css({
    display: 'flex',
    alignItems: 'center',
    padding: theme.spacing(0, 0.5),
    fontFamily: theme.typography.fontFamilyMonospace,
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    whiteSpace: 'nowrap',
  }),
  trend: css({ display: 'flex', alignItems: 'center', padding: theme.spacing(0, 0.5) }),
  cellWrap: css({ padding: 1, minWidth: 0 }),
  cell: css({
    width: '100%',
    height: '100%',
    border: 'none',
    borderRadius: theme.shape.radius.default,
    padding: theme.spacing(0, 0.5),
    textAlign: 'right',
    font: 'inherit',
    cursor: 'pointer',
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    whiteSpace: 'nowrap',
    '&:hover, &:focus-visible': { outline: `2px solid ${theme.colors.primary.border}`, outlineOffset: -2 },
  }),
  attention: css({ fontWeight: theme.typography.fontWeightBold }),
  overThreshold: css({ boxShadow: `inset 0 0 0 1px ${theme.colors.text.primary}` }),
  zero: css({ color: theme.colors.text.disabled }),
  total: css({
    display: 'flex',
    alignItems: 'center',
    justifyContent: 'flex-end',
    padding: theme.spacing(0, 0.5),
    color: theme.colors.text.secondary,
  }),
});
