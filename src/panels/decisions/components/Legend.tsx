import { css, cx } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { useStyles2, useTheme2 } from '@grafana/ui';
import React, { memo } from 'react';

import { formatLatency, formatRange, formatValue } from '../format';
import { decisionColor } from './colors';

interface Props {
  decisions: string[];
  hidden: string[];
  onToggle: (decision: string) => void;
  totals: Record<string, number>;
  /** Unit of the totals: rate mode shows per second, others counts. */
  rate: boolean;
  hasCounts: boolean;
  rangeSeconds?: number;
  p99LatencySeconds?: number;
}

export const Legend = memo(function Legend(props: Props) {
  const styles = useStyles2(getStyles);
  const theme = useTheme2();
  return (
    <div className={styles.legend} aria-label="Legend">
      {props.decisions.map((d) => {
        const hidden = props.hidden.includes(d);
        const total = props.totals[d];
        return (
          <button
            type="button"
            key={d}
            className={cx(styles.item, hidden && styles.hidden)}
            aria-pressed={!hidden}
            aria-label={`${hidden ? 'Show' : 'Hide'} ${d}`}
            onClick={() => props.onToggle(d)}
          >
            <span className={styles.swatch} style={{ background: decisionColor(theme, d) }} />
            {d}
            {!hidden && total !== undefined && (props.rate || props.hasCounts) && (
              <span className={styles.value}>{formatValue(total, props.rate ? 'rate' : 'count')}</span>
            )}
          </button>
        );
      })}
      <span className={styles.meta}>
        {props.rangeSeconds !== undefined && <span>over {formatRange(props.rangeSeconds)}</span>}
        {props.p99LatencySeconds !== undefined && (
          <span data-testid="zviz-decisions-p99">broker p99 {formatLatency(props.p99LatencySeconds)}</span>
        )}
      </span>
    </div>
  );
});

const getStyles = (theme: GrafanaTheme2) => ({
  legend: css({
    display: 'flex',
    flexWrap: 'wrap',
    alignItems: 'center',
    gap: theme.spacing(0.5, 1.5),
    paddingTop: theme.spacing(1),
    fontSize: theme.typography.bodySmall.fontSize,
  }),
  item: css({
    display: 'inline-flex',
    alignItems: 'center',
    gap: theme.spacing(0.5),
    background: 'none',
    border: 'none',
    padding: 0,
    color: theme.colors.text.primary,
    font: 'inherit',
    cursor: 'pointer',
  }),
  hidden: css({ color: theme.colors.text.disabled, textDecoration: 'line-through' }),
  swatch: css({ width: 10, height: 10, borderRadius: theme.shape.radius.default }),
  value: css({ color: theme.colors.text.secondary }),
  meta: css({
    marginLeft: 'auto',
    display: 'inline-flex',
    gap: theme.spacing(1.5),
    color: theme.colors.text.secondary,
  }),
});
