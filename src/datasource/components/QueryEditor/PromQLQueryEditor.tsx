import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { InlineField, InlineFieldRow, InlineSwitch, Input, TextArea, useStyles2 } from '@grafana/ui';
import React, { useState } from 'react';

import { BROKER_DECISIONS_TOTAL } from '@zviz/shared/metric-names';
import type { PromQLQuery } from '@zviz/shared/query';
import { LABEL_WIDTH, type TypedProps } from './props';

export function PromQLQueryEditor({ query, onChange, onRunQuery }: TypedProps<PromQLQuery>) {
  const styles = useStyles2(getStyles);
  const [expr, setExpr] = useState(query.expr ?? '');
  const [legend, setLegend] = useState(query.legendFormat ?? '');
  const commit = (patch: Partial<PromQLQuery>) => {
    onChange({ ...query, expr, legendFormat: legend || undefined, ...patch });
    onRunQuery();
  };
  return (
    <>
      <InlineFieldRow>
        <InlineField
          label="PromQL"
          labelWidth={LABEL_WIDTH}
          grow
          tooltip="Sent to the datasource's Prometheus. Shift+Enter runs the query."
        >
          <TextArea
            aria-label="PromQL expression"
            className={styles.code}
            rows={3}
            placeholder={`sum by (decision) (rate(${BROKER_DECISIONS_TOTAL}[$__rate_interval]))`}
            value={expr}
            onChange={(e) => setExpr(e.currentTarget.value)}
            onBlur={() => expr !== query.expr && commit({ expr })}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && (e.shiftKey || e.ctrlKey || e.metaKey)) {
                e.preventDefault();
                commit({ expr });
              }
            }}
          />
        </InlineField>
      </InlineFieldRow>
      <InlineFieldRow>
        <InlineField label="Legend" labelWidth={LABEL_WIDTH} tooltip="For example {{syscall}} {{decision}}">
          <Input
            aria-label="Legend format"
            width={30}
            placeholder="{{syscall}}"
            value={legend}
            onChange={(e) => setLegend(e.currentTarget.value)}
            onBlur={() => legend !== (query.legendFormat ?? '') && commit({ legendFormat: legend || undefined })}
          />
        </InlineField>
        <InlineField label="Instant" tooltip="One value per series at the end of the range">
          <InlineSwitch
            aria-label="Instant query"
            value={Boolean(query.instant)}
            onChange={(e) => commit({ instant: e.currentTarget.checked })}
          />
        </InlineField>
      </InlineFieldRow>
    </>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  code: css({ fontFamily: theme.typography.fontFamilyMonospace }),
});
