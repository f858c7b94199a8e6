// How failures become per-query answers: a status code for Grafana and the
// source of the error (`plugin` for what ZViz got wrong or was handed wrong,
// `downstream` for Prometheus and agents).
import { UpstreamError } from '@zviz/agent-client/upstream-error';

import type { DataResponse, ErrorSource } from '../sdk/types';
import { SettingsError } from './settings';

export class QueryError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly source: ErrorSource
  ) {
    super(message);
  }
}

/** A query model the plugin cannot run: bad JSON, unknown type, invalid fields. */
export function badQuery(message: string): QueryError {
  return new QueryError(message, 400, 'plugin');
}

export interface Classified {
  message: string;
  status: number;
  source: ErrorSource;
  /** For metrics: prometheus, agent or none. */
  upstream: 'prometheus' | 'agent' | 'none';
  reason: string;
}

export function classify(error: unknown): Classified {
  if (error instanceof QueryError) {
    return { message: error.message, status: error.status, source: error.source, upstream: 'none', reason: 'query' };
  }
  if (error instanceof UpstreamError) {
    return {
      message: error.message,
      status: error.status,
      source: 'downstream',
      upstream: error.upstream.startsWith('Prometheus') ? 'prometheus' : 'agent',
      reason: error.kind,
    };
  }
  if (error instanceof SettingsError) {
    return { message: error.message, status: 400, source: 'plugin', upstream: 'none', reason: 'settings' };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { message: `internal error: ${message}`, status: 500, source: 'plugin', upstream: 'none', reason: 'internal' };
}

export function errorResponse(error: unknown): DataResponse {
  const c = classify(error);
  return { frames: [], error: c.message, status: c.status, errorSource: c.source };
}
