// Which decision events a client asked for: the same parameters for the list
// endpoint and the stream.
import { DECISIONS, type Decision, type DecisionEvent } from '@zviz/shared/agent-api';

import { queryEnumList, queryList } from '../server/query';

export interface DecisionFilter {
  syscalls?: ReadonlySet<string>;
  decisions?: ReadonlySet<Decision>;
  containers?: ReadonlySet<string>;
}

export const FILTER_PARAMS = ['syscall', 'decision', 'container'] as const;

export function parseFilter(query: URLSearchParams): DecisionFilter {
  return {
    syscalls: queryList(query, 'syscall', /^[a-z0-9_]{1,64}$/, 'a syscall name (lower case letters, digits, _)'),
    decisions: queryEnumList(query, 'decision', DECISIONS),
    containers: queryList(query, 'container', /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, 'a container id'),
  };
}

export function matches(filter: DecisionFilter, event: DecisionEvent): boolean {
  return (
    (!filter.syscalls || filter.syscalls.has(event.syscall)) &&
    (!filter.decisions || filter.decisions.has(event.decision)) &&
    (!filter.containers || filter.containers.has(event.container_id))
  );
}

export function isUnfiltered(filter: DecisionFilter): boolean {
  return !filter.syscalls && !filter.decisions && !filter.containers;
}
