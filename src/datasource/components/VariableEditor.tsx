import type { DataSourceApi, QueryEditorProps } from '@grafana/data';
import { InlineField, InlineFieldRow, Input, RadioButtonGroup, Stack } from '@grafana/ui';
import React, { useState } from 'react';

import { BUILD_INFO } from '@zviz/shared/metric-names';
import type { ZVizQuery } from '@zviz/shared/query';
import { VARIABLE_KINDS, type VariableKind, type ZVizOptions, type ZVizVariableQuery } from '../types';

// Typed by the base class, not ZVizDataSource: the editor calls nothing of the data source's, and
// datasource.ts imports this editor.
type Props = QueryEditorProps<DataSourceApi<ZVizQuery, ZVizOptions>, ZVizQuery, ZVizOptions, ZVizVariableQuery>;

const KIND_LABELS: Record<VariableKind, { label: string; description: string }> = {
  agents: { label: 'Agents', description: 'Instances of the ZViz agents' },
  containers: { label: 'Containers', description: 'Container ids on the agents' },
  syscalls: { label: 'Syscalls', description: 'Syscalls with decisions in Prometheus' },
  profiles: { label: 'Profiles', description: 'Sandbox profiles of live containers' },
  'label-values': { label: 'Label values', description: 'Values of a Prometheus label' },
};

export function VariableEditor({ query, onChange }: Props) {
  const kind = query.kind ?? 'agents';
  const [label, setLabel] = useState(query.label ?? '');
  const [match, setMatch] = useState(query.match ?? '');
  const [agent, setAgent] = useState(query.agent ?? '');
  const [regex, setRegex] = useState(query.regex ?? '');
  const regexError = (() => {
    try {
      new RegExp(regex);
      return undefined;
    } catch (e) {
      return (e as Error).message;
    }
  })();
  const save = (patch: Partial<ZVizVariableQuery> = {}) =>
    onChange({
      ...query,
      kind,
      label: label || undefined,
      match: match || undefined,
      agent: agent || undefined,
      regex: regex && !regexError ? regex : undefined,
      ...patch,
    });

  return (
    <Stack direction="column" gap={1}>
      <InlineFieldRow>
        <InlineField label="Values of" labelWidth={14}>
          <RadioButtonGroup
            size="sm"
            options={VARIABLE_KINDS.map((value) => ({ value, ...KIND_LABELS[value] }))}
            value={kind}
            onChange={(k) => save({ kind: k })}
          />
        </InlineField>
      </InlineFieldRow>
      {kind === 'label-values' && (
        <InlineFieldRow>
          <InlineField label="Label" labelWidth={14} invalid={!label} error={!label ? 'Required' : undefined}>
            <Input
              aria-label="Label"
              width={24}
              placeholder="instance"
              value={label}
              onChange={(e) => setLabel(e.currentTarget.value)}
              onBlur={() => save()}
            />
          </InlineField>
          <InlineField label="Series" labelWidth={10} grow tooltip="Only label values of these series">
            <Input
              aria-label="Series selector"
              placeholder={BUILD_INFO}
              value={match}
              onChange={(e) => setMatch(e.currentTarget.value)}
              onBlur={() => save()}
            />
          </InlineField>
        </InlineFieldRow>
      )}
      {kind === 'containers' && (
        <InlineFieldRow>
          <InlineField label="Agent" labelWidth={14} tooltip="Only this agent's containers; $instance works">
            <Input
              aria-label="Agent"
              width={30}
              placeholder="All agents"
              value={agent}
              onChange={(e) => setAgent(e.currentTarget.value)}
              onBlur={() => save()}
            />
          </InlineField>
        </InlineFieldRow>
      )}
      <InlineFieldRow>
        <InlineField label="Keep matching" labelWidth={14} invalid={Boolean(regexError)} error={regexError}>
          <Input
            aria-label="Regex"
            width={30}
            placeholder="^ci-.* (optional)"
            value={regex}
            onChange={(e) => setRegex(e.currentTarget.value)}
            onBlur={() => save()}
          />
        </InlineField>
      </InlineFieldRow>
    </Stack>
  );
}
