// Grafana's HTTP API as the app pages see it through getBackendSrv(), for
// page tests: routes answer by method and path, every call is recorded.
import type { BackendSrvRequest, FetchResponse } from '@grafana/runtime';
import { type Observable, of, throwError } from 'rxjs';

export type Answer = { status?: number; data: unknown };
export type Route = (req: BackendSrvRequest) => Answer | undefined;

export interface MockBackend {
  calls: BackendSrvRequest[];
  fetch: <T>(req: BackendSrvRequest) => Observable<FetchResponse<T>>;
  get: <T>(url: string, params?: unknown) => Promise<T>;
}

export function mockBackend(routes: Record<string, Route | Answer>): MockBackend {
  const calls: BackendSrvRequest[] = [];
  const answer = (req: BackendSrvRequest): Answer => {
    const method = req.method ?? 'GET';
    const key = `${method} ${req.url.split('?')[0]}`;
    // `PUT *` answers every PUT without a route of its own.
    const route = routes[key] ?? routes[`${method} *`];
    const a = typeof route === 'function' ? route(req) : route;
    return a ?? { status: 404, data: { message: `no route ${key}` } };
  };
  const fetch = <T>(req: BackendSrvRequest): Observable<FetchResponse<T>> => {
    calls.push(req);
    const { status = 200, data } = answer(req);
    const response = {
      data: data as T,
      status,
      ok: status < 300,
      statusText: '',
      headers: new Headers(),
      redirected: false,
      type: 'basic' as ResponseType,
      url: req.url,
      config: req,
    };
    return status < 300 ? of(response) : throwError(() => response);
  };
  const get = <T>(url: string, params?: unknown) =>
    new Promise<T>((resolve, reject) =>
      fetch<T>({ url, method: 'GET', params: params as Record<string, string> }).subscribe({
        next: (r) => resolve(r.data),
        error: reject,
      })
    );
  return { calls, fetch, get };
}

/** One instant PromQL result as a data frame in /api/ds/query's JSON. */
export function instantFrame(refId: string, value: number, labels: Record<string, string> = {}) {
  return {
    schema: {
      refId,
      fields: [
        { name: 'Time', type: 'time' },
        { name: 'Value', type: 'number', labels },
      ],
    },
    data: { values: [[1_700_000_000_000], [value]] },
  };
}

/** Answers /api/ds/query from a table of refId -> frames (or an error message). */
export function dsQuery(byRef: Record<string, unknown[] | string>): Route {
  return (req) => {
    const results: Record<string, unknown> = {};
    for (const q of (req.data as { queries: Array<{ refId: string }> }).queries) {
      const r = byRef[q.refId];
      results[q.refId] =
        typeof r === 'string' ? { status: 500, error: r, frames: [] } : { status: 200, frames: r ?? [] };
    }
    return { data: { results } };
  };
}
