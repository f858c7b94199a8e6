import { InlineField, InlineFieldRow, Input, MultiCombobox, RadioButtonGroup } from '@grafana/ui';
import React, { useState } from 'react';

import { DECISIONS } from '@zviz/shared/agent-api';
import { BROKER_DECISIONS_TOTAL } from '@zviz/shared/metric-names';
import type { DecisionsQuery } from '@zviz/shared/query';
import { LABEL_WIDTH, type TypedProps } from './props';
import { selectorError } from './selectorError';
import { variableOptions } from './variableOptions';
import { toOptions, useResource } from './useResource';

const MODES = [
  { value: 'count' as const, label: 'Count', description: 'Decisions over the time range (one table)' },
  { value: 'rate' as const, label: 'Rate', description: 'Decisions per second over the time range (one table)' },
  { value: 'timeseries' as const, label: 'Time series', description: 'One series per syscall and decision' },
];

export function DecisionsQueryEditor({ query, onChange, onRunQuery, datasource }: TypedProps<DecisionsQuery>) {
  const syscalls = useResource(() => datasource.syscalls(), `syscalls:${datasource.uid}`);
  const [selector, setSelector] = useState(query.selector ?? '');
  const invalid = selectorError(selector);
  const update = (patch: Partial<DecisionsQuery>) => {
    onChange({ ...query, ...patch });
    onRunQuery();
  };
  const vars = variableOptions();

  return (
    <>
      <InlineFieldRow>
        <InlineField label="Values" labelWidth={LABEL_WIDTH}>
          <RadioButtonGroup
            size="sm"
            options={MODES}
            value={query.mode ?? 'count'}
            onChange={(mode) => update({ mode })}
          />
        </InlineField>
      </InlineFieldRow>
      <InlineFieldRow>
        <InlineField
          label="Syscalls"
          labelWidth={LABEL_WIDTH}
          tooltip="None selected: every syscall"
          error={syscalls.error && `Syscall list unavailable: ${syscalls.error}`}
          invalid={Boolean(syscalls.error)}
        >
          <MultiCombobox
            aria-label="Syscalls"
            width="auto"
            minWidth={30}
            loading={syscalls.loading}
            createCustomValue
            placeholder="All syscalls"
            options={[...vars, ...toOptions(syscalls.value?.syscalls)]}
            value={query.syscalls ?? []}
            onChange={(opts) => update({ syscalls: opts.map((o) => o.value) })}
          />
        </InlineField>
        <InlineField label="Decisions" labelWidth={LABEL_WIDTH} tooltip="None selected: every decision">
          <MultiCombobox
            aria-label="Decisions"
            width="auto"
            minWidth={24}
            createCustomValue
            placeholder="All decisions"
            options={[...vars, ...toOptions([...DECISIONS])]}
            value={query.decisions ?? []}
            onChange={(opts) => update({ decisions: opts.map((o) => o.value) })}
          />
        </InlineField>
      </InlineFieldRow>
      <InlineFieldRow>
        <InlineField
          label="Label matchers"
          labelWidth={LABEL_WIDTH}
          grow
          tooltip={`Extra PromQL label matchers for ${BROKER_DECISIONS_TOTAL}`}
          invalid={Boolean(invalid)}
          error={invalid}
        >
          <Input
            aria-label="Label matchers"
            placeholder='instance="node-1:9090"'
            value={selector}
            onChange={(e) => setSelector(e.currentTarget.value)}
            onBlur={() => {
              if (!selectorError(selector) && selector !== (query.selector ?? '')) {
                update({ selector: selector || undefined });
              }
            }}
          />
        </InlineField>
      </InlineFieldRow>
    </>
  );
}
