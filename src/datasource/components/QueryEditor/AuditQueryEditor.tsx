import { Combobox, InlineField, InlineFieldRow, Input } from '@grafana/ui';
import React, { useState } from 'react';

import { DECISIONS } from '@zviz/shared/agent-api';
import type { AuditQuery } from '@zviz/shared/query';
import { LABEL_WIDTH, type TypedProps } from './props';
import { variableOptions } from './variableOptions';
import { toOptions, useResource } from './useResource';

const MAX_LIMIT = 1000;

export function AuditQueryEditor({ query, onChange, onRunQuery, datasource }: TypedProps<AuditQuery>) {
  const syscalls = useResource(() => datasource.syscalls(), `syscalls:${datasource.uid}`);
  const containers = useResource(() => datasource.containers(), `containers:${datasource.uid}`);
  const agents = useResource(() => datasource.agents(), `agents:${datasource.uid}`);
  const [limit, setLimit] = useState(String(query.limit ?? 100));
  const limitNumber = Number(limit);
  const limitError =
    Number.isInteger(limitNumber) && limitNumber >= 1 && limitNumber <= MAX_LIMIT
      ? undefined
      : `A whole number from 1 to ${MAX_LIMIT}`;
  const update = (patch: Partial<AuditQuery>) => {
    onChange({ ...query, ...patch });
    onRunQuery();
  };
  const vars = variableOptions();

  return (
    <>
      <InlineFieldRow>
        <InlineField label="Syscall" labelWidth={LABEL_WIDTH} error={syscalls.error} invalid={Boolean(syscalls.error)}>
          <Combobox
            aria-label="Syscall"
            width={24}
            isClearable
            createCustomValue
            placeholder="Any"
            loading={syscalls.loading}
            options={[...vars, ...toOptions(syscalls.value?.syscalls)]}
            value={query.syscall ?? null}
            onChange={(o) => update({ syscall: o?.value || undefined })}
          />
        </InlineField>
        <InlineField label="Decision" labelWidth={10}>
          <Combobox
            aria-label="Decision"
            width={16}
            isClearable
            createCustomValue
            placeholder="Any"
            options={[...vars, ...toOptions([...DECISIONS])]}
            value={query.decision ?? null}
            onChange={(o) => update({ decision: o?.value || undefined })}
          />
        </InlineField>
      </InlineFieldRow>
      <InlineFieldRow>
        <InlineField
          label="Container"
          labelWidth={LABEL_WIDTH}
          error={containers.error}
          invalid={Boolean(containers.error)}
        >
          <Combobox
            aria-label="Container"
            width={24}
            isClearable
            createCustomValue
            placeholder="Any"
            loading={containers.loading}
            options={[
              ...vars,
              ...(containers.value?.containers ?? []).map((c) => ({
                value: c.id,
                label: c.name && c.name !== c.id ? `${c.name} (${c.id})` : c.id,
                description: `${c.state}, profile ${c.profile}, on ${c.agent}`,
              })),
            ]}
            value={query.container ?? null}
            onChange={(o) => update({ container: o?.value || undefined })}
          />
        </InlineField>
        <InlineField label="Agent" labelWidth={10} error={agents.error} invalid={Boolean(agents.error)}>
          <Combobox
            aria-label="Agent"
            width={24}
            isClearable
            createCustomValue
            placeholder="All agents"
            loading={agents.loading}
            options={[
              ...vars,
              ...(agents.value?.agents ?? []).map((a) => ({
                value: a.instance,
                label: a.instance,
                description: a.up ? `up${a.version ? `, ${a.version}` : ''}` : `down${a.error ? `: ${a.error}` : ''}`,
              })),
            ]}
            value={query.agent ?? null}
            onChange={(o) => update({ agent: o?.value || undefined })}
          />
        </InlineField>
        <InlineField label="Limit" labelWidth={8} invalid={Boolean(limitError)} error={limitError}>
          <Input
            aria-label="Limit"
            type="number"
            width={10}
            min={1}
            max={MAX_LIMIT}
            value={limit}
            onChange={(e) => setLimit(e.currentTarget.value)}
            onBlur={() => !limitError && limitNumber !== query.limit && update({ limit: limitNumber })}
          />
        </InlineField>
      </InlineFieldRow>
    </>
  );
}
