import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { Combobox, Icon, Input, RadioButtonGroup, useStyles2 } from '@grafana/ui';
import React, { memo } from 'react';

import type { DisplayMode } from '../data/view';

const MODES: Array<{ label: string; value: DisplayMode; description: string }> = [
  { label: 'Count', value: 'count', description: 'Decisions over the time range' },
  { label: 'Rate', value: 'rate', description: 'Decisions per second' },
  { label: 'Share', value: 'share', description: "Each decision's share of its syscall" },
];

const TOP_N = [0, 10, 20, 50, 100].map((n) => ({ label: n === 0 ? 'All' : `Top ${n}`, value: n }));

interface Props {
  search: string;
  onSearch: (search: string) => void;
  searchError?: string;
  mode: DisplayMode;
  onMode: (mode: DisplayMode) => void;
  topN: number;
  onTopN: (n: number) => void;
  shown: number;
  matched: number;
  available: number;
}

// Memoized: the Combobox in it is costly to re-render on every sort or scroll.
export const Toolbar = memo(function Toolbar(props: Props) {
  const styles = useStyles2(getStyles);
  const topOptions = TOP_N.some((o) => o.value === props.topN)
    ? TOP_N
    : [...TOP_N, { label: `Top ${props.topN}`, value: props.topN }];
  return (
    <div className={styles.toolbar}>
      <div className={styles.search}>
        <Input
          prefix={<Icon name="search" />}
          placeholder="Filter syscalls: open -openat /^mm/"
          value={props.search}
          onChange={(e) => props.onSearch(e.currentTarget.value)}
          aria-label="Filter syscalls"
          invalid={Boolean(props.searchError)}
          title={props.searchError ?? 'Terms match any part of a name; -term excludes; /regex/'}
        />
      </div>
      <RadioButtonGroup size="sm" options={MODES} value={props.mode} onChange={props.onMode} />
      <div className={styles.top}>
        <Combobox
          aria-label="Rows shown"
          options={topOptions}
          value={props.topN}
          onChange={(v) => props.onTopN(v?.value ?? 0)}
          width={12}
        />
      </div>
      <span className={styles.count} aria-live="polite">
        {props.shown === props.available
          ? `${props.available} syscalls`
          : `${props.shown} of ${props.matched === props.available ? '' : `${props.matched} matching, `}${props.available} syscalls`}
      </span>
    </div>
  );
});

const getStyles = (theme: GrafanaTheme2) => ({
  toolbar: css({
    display: 'flex',
    flexWrap: 'wrap',
    alignItems: 'center',
    gap: theme.spacing(1),
    paddingBottom: theme.spacing(1),
  }),
  search: css({ flex: '1 1 180px', minWidth: 140, maxWidth: 360 }),
  top: css({ flex: '0 0 auto' }),
  count: css({
    color: theme.colors.text.secondary,
    fontSize: theme.typography.bodySmall.fontSize,
    whiteSpace: 'nowrap',
  }),
});
