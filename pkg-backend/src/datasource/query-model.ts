// Parses and checks the query model the editors save (packages/shared/src/query.ts).
// Anything wrong is a plugin error with status 400 that names the field.
import { DECISIONS, type Decision } from '@zviz/shared/agent-api';
import {
  type AuditQuery,
  type DecisionsQuery,
  type HealthQuery,
  type PromQLQuery,
  QUERY_TYPES,
  type QueryType,
} from '@zviz/shared/query';

import type { DataQuery } from '../sdk/types';
import { badQuery } from './errors';

export type ParsedQuery =
  | { type: 'decisions'; model: Required<Pick<DecisionsQuery, 'mode' | 'syscalls' | 'decisions' | 'selector'>> }
  | { type: 'promql'; model: Required<Pick<PromQLQuery, 'expr' | 'instant' | 'legendFormat'>> }
  | { type: 'audit'; model: Required<Pick<AuditQuery, 'syscall' | 'decision' | 'container' | 'agent' | 'limit'>> }
  | { type: 'health'; model: Required<Pick<HealthQuery, 'agent'>> };

export const AUDIT_DEFAULT_LIMIT = 500;
export const AUDIT_MAX_LIMIT = 10_000;

const SYSCALL_NAME = /^[a-z0-9_]{1,64}$/;
const LABEL_MATCHER = String.raw`[a-zA-Z_][a-zA-Z0-9_]*\s*(?:=~|!~|!=|=)\s*"(?:[^"\\]|\\.)*"`;
export const SELECTOR = new RegExp(String.raw`^\s*(?:${LABEL_MATCHER}\s*(?:,\s*${LABEL_MATCHER}\s*)*,?\s*)?$`);

type Json = Record<string, unknown>;

function str(model: Json, key: string): string {
  const value = model[key];
  if (value === undefined || value === null) {
    return '';
  }
  if (typeof value !== 'string') {
    throw badQuery(`${key} must be a string, not ${JSON.stringify(value)}`);
  }
  return value.trim();
}

function strings(model: Json, key: string): string[] {
  const value = model[key];
  if (value === undefined || value === null) {
    return [];
  }
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw badQuery(`${key} must be a list of strings, not ${JSON.stringify(value)}`);
  }
  return value.map((v: string) => v.trim()).filter((v) => v !== '');
}

function decision(value: string, key: string): Decision | '' {
  if (value !== '' && !(DECISIONS as readonly string[]).includes(value)) {
    throw badQuery(`${key} ${JSON.stringify(value)} is not a decision; expected one of ${DECISIONS.join(', ')}`);
  }
  return value as Decision | '';
}

function parseDecisions(model: Json): ParsedQuery {
  const mode = str(model, 'mode') || 'count';
  if (mode !== 'count' && mode !== 'rate' && mode !== 'timeseries') {
    throw badQuery(`mode ${JSON.stringify(mode)} is not count, rate or timeseries`);
  }
  const syscalls = strings(model, 'syscalls');
  const bad = syscalls.filter((s) => !SYSCALL_NAME.test(s));
  if (bad.length > 0) {
    throw badQuery(
      `syscalls ${bad.map((s) => JSON.stringify(s)).join(', ')} are not syscall names (lower case, digits, _)`
    );
  }
  const decisions = strings(model, 'decisions').map((d) => decision(d, 'decision')) as Decision[];
  const selector = str(model, 'selector');
  if (!SELECTOR.test(selector)) {
    throw badQuery(
      `selector ${JSON.stringify(selector)} is not a list of label matchers like instance="node-1:9090", job=~"zviz.*"`
    );
  }
  return { type: 'decisions', model: { mode, syscalls, decisions, selector } };
}

function parsePromQL(model: Json): ParsedQuery {
  const expr = str(model, 'expr');
  if (!expr) {
    throw badQuery('expr is empty: write a PromQL expression');
  }
  const instant = model.instant ?? false;
  if (typeof instant !== 'boolean') {
    throw badQuery(`instant must be true or false, not ${JSON.stringify(instant)}`);
  }
  return { type: 'promql', model: { expr, instant, legendFormat: str(model, 'legendFormat') } };
}

function parseAudit(model: Json): ParsedQuery {
  const limit = model.limit ?? AUDIT_DEFAULT_LIMIT;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > AUDIT_MAX_LIMIT) {
    throw badQuery(`limit must be a whole number from 1 to ${AUDIT_MAX_LIMIT}, not ${JSON.stringify(limit)}`);
  }
  const syscall = str(model, 'syscall');
  if (syscall && !SYSCALL_NAME.test(syscall)) {
    throw badQuery(`syscall ${JSON.stringify(syscall)} is not a syscall name`);
  }
  return {
    type: 'audit',
    model: {
      syscall,
      decision: decision(str(model, 'decision'), 'decision') as Decision,
      container: str(model, 'container'),
      agent: str(model, 'agent'),
      limit,
    },
  };
}

export function parseQuery(query: DataQuery): ParsedQuery {
  let model: Json;
  try {
    const text = query.json.length ? query.json.toString('utf8') : '{}';
    const value: unknown = JSON.parse(text);
    if (!value || typeof value !== 'object' || Array.isArray(value)) {
      throw new Error('it is not a JSON object');
    }
    model = value as Json;
  } catch (error) {
    throw badQuery(`the query model is not valid JSON: ${(error as Error).message}`);
  }
  const type = query.queryType || (typeof model.queryType === 'string' ? model.queryType : '');
  if (!type) {
    throw badQuery(`the query has no queryType; expected one of ${QUERY_TYPES.join(', ')}`);
  }
  if (!(QUERY_TYPES as readonly string[]).includes(type)) {
    throw badQuery(`unknown query type ${JSON.stringify(type)}; expected one of ${QUERY_TYPES.join(', ')}`);
  }
  switch (type as QueryType) {
    case 'decisions':
      return parseDecisions(model);
    case 'promql':
      return parsePromQL(model);
    case 'audit':
      return parseAudit(model);
    case 'health':
      return { type: 'health', model: { agent: str(model, 'agent') } };
  }
}
