import { Combobox, InlineField, InlineFieldRow } from '@grafana/ui';
import React from 'react';

import type { HealthQuery } from '@zviz/shared/query';
import { LABEL_WIDTH, type TypedProps } from './props';
import { variableOptions } from './variableOptions';
import { useResource } from './useResource';

export function HealthQueryEditor({ query, onChange, onRunQuery, datasource }: TypedProps<HealthQuery>) {
  const agents = useResource(() => datasource.agents(), `agents:${datasource.uid}`);
  return (
    <InlineFieldRow>
      <InlineField label="Agent" labelWidth={LABEL_WIDTH} error={agents.error} invalid={Boolean(agents.error)}>
        <Combobox
          aria-label="Agent"
          width={30}
          isClearable
          createCustomValue
          placeholder="All agents"
          loading={agents.loading}
          options={[
            ...variableOptions(),
            ...(agents.value?.agents ?? []).map((a) => ({
              value: a.instance,
              label: a.instance,
              description: a.up ? 'up' : `down${a.error ? `: ${a.error}` : ''}`,
            })),
          ]}
          value={query.agent ?? null}
          onChange={(o) => {
            onChange({ ...query, agent: o?.value || undefined });
            onRunQuery();
          }}
        />
      </InlineField>
    </InlineFieldRow>
  );
}
