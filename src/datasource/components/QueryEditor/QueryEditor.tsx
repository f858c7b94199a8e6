// The datasource's query editor: a picker of the query type over one editor
// per type, each in its own file beside this one.
import { RadioButtonGroup, Stack } from '@grafana/ui';
import React from 'react';

import { QUERY_TYPES, type QueryType, type ZVizQuery } from '@zviz/shared/query';
import { AuditQueryEditor } from './AuditQueryEditor';
import { DecisionsQueryEditor } from './DecisionsQueryEditor';
import { HealthQueryEditor } from './HealthQueryEditor';
import { PromQLQueryEditor } from './PromQLQueryEditor';
import type { Props } from './props';

const LABELS: Record<QueryType, { label: string; description: string }> = {
  decisions: { label: 'Decisions', description: 'Per-syscall decision counts or rates, for the decisions panel' },
  promql: { label: 'PromQL', description: 'Any PromQL expression; usable in alert rules' },
  audit: { label: 'Audit events', description: 'Recent decision events from the agents' },
  health: { label: 'Agent health', description: "Each agent's /health as a table" },
};

const TYPE_OPTIONS = QUERY_TYPES.map((value) => ({ value, ...LABELS[value] }));

/** A new query of a type starts from that type's defaults, keeping refId and datasource. */
function switchType(query: ZVizQuery, queryType: QueryType): ZVizQuery {
  const base = { refId: query.refId, hide: query.hide, datasource: (query as { datasource?: unknown }).datasource };
  switch (queryType) {
    case 'decisions':
      return { ...base, queryType, mode: 'count' } as ZVizQuery;
    case 'promql':
      return { ...base, queryType, expr: '' } as ZVizQuery;
    case 'audit':
      return { ...base, queryType, limit: 100 } as ZVizQuery;
    case 'health':
      return { ...base, queryType } as ZVizQuery;
  }
}

export function QueryEditor(props: Props) {
  const { query, onChange, onRunQuery } = props;
  const queryType = query.queryType ?? 'decisions';
  const typed = { ...query, queryType } as ZVizQuery;
  return (
    <Stack direction="column" gap={1}>
      <RadioButtonGroup
        size="sm"
        aria-label="Query type"
        options={TYPE_OPTIONS}
        value={queryType}
        onChange={(t) => {
          onChange(switchType(query, t));
          onRunQuery();
        }}
      />
      {typed.queryType === 'decisions' && <DecisionsQueryEditor {...props} query={typed} />}
      {typed.queryType === 'promql' && <PromQLQueryEditor {...props} query={typed} />}
      {typed.queryType === 'audit' && <AuditQueryEditor {...props} query={typed} />}
      {typed.queryType === 'health' && <HealthQueryEditor {...props} query={typed} />}
    </Stack>
  );
}
