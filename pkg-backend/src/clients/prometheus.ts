// Prometheus HTTP API client (also Mimir, Thanos, Cortex): instant and range
// queries by POST (long syscall regexes do not fit in a URL), label values,
// and errors naming the server and what went wrong.
import { type Auth, type HttpClient } from './http';
import { httpStatusText, UpstreamError } from './upstream-error';

export type PromLabels = Record<string, string>;
export type PromPoint = [number, string];

export interface PromVectorSample {
  metric: PromLabels;
  value: PromPoint;
}

export interface PromMatrixSeries {
  metric: PromLabels;
  values: PromPoint[];
}

export type PromQueryResult =
  | { resultType: 'vector'; result: PromVectorSample[] }
  | { resultType: 'matrix'; result: PromMatrixSeries[] }
  | { resultType: 'scalar'; result: PromPoint }
  | { resultType: 'string'; result: PromPoint };

interface ApiBody<T> {
  status: 'success' | 'error';
  data?: T;
  errorType?: string;
  error?: string;
  warnings?: string[];
}

export interface PromAnswer<T> {
  data: T;
  warnings: string[];
}

export class PrometheusClient {
  readonly name: string;
  private readonly base: URL;

  constructor(
    url: string,
    private readonly http: HttpClient,
    private readonly auth: Auth
  ) {
    this.base = new URL(url.endsWith('/') ? url : `${url}/`);
    this.name = `Prometheus at ${url.replace(/\/+$/, '')}`;
  }

  query(expr: string, time?: number, signal?: AbortSignal): Promise<PromAnswer<PromQueryResult>> {
    const form = new URLSearchParams({ query: expr });
    if (time !== undefined) {
      form.set('time', String(time));
    }
    return this.call('api/v1/query', { form, signal });
  }

  /** Range query; start, end in seconds, step in seconds. */
  queryRange(
    expr: string,
    start: number,
    end: number,
    step: number,
    signal?: AbortSignal
  ): Promise<PromAnswer<{ resultType: 'matrix'; result: PromMatrixSeries[] }>> {
    const form = new URLSearchParams({ query: expr, start: String(start), end: String(end), step: String(step) });
    return this.call('api/v1/query_range', { form, signal });
  }

  async labelValues(
    label: string,
    match: string[],
    range?: { start: number; end: number },
    signal?: AbortSignal
  ): Promise<string[]> {
    const params = new URLSearchParams();
    for (const m of match) {
      params.append('match[]', m);
    }
    if (range) {
      params.set('start', String(range.start));
      params.set('end', String(range.end));
    }
    const answer = await this.call<string[]>(`api/v1/label/${encodeURIComponent(label)}/values`, { params, signal });
    return answer.data;
  }

  private async call<T>(
    path: string,
    options: { form?: URLSearchParams; params?: URLSearchParams; signal?: AbortSignal }
  ): Promise<PromAnswer<T>> {
    const url = new URL(path, this.base);
    if (options.params) {
      url.search = options.params.toString();
    }
    let response;
    try {
      response = await this.http.request(url, {
        method: options.form ? 'POST' : 'GET',
        form: options.form,
        auth: this.auth,
        signal: options.signal,
      });
    } catch (error) {
      throw UpstreamError.from(this.name, error);
    }
    let body: ApiBody<T> | undefined;
    try {
      body = JSON.parse(response.body.toString('utf8')) as ApiBody<T>;
    } catch {
      body = undefined;
    }
    if (body?.status === 'error') {
      // Prometheus explains failed queries in its own words: keep them.
      throw new UpstreamError(
        this.name,
        `${body.errorType ?? 'error'}: ${body.error ?? 'unknown error'}`,
        'api',
        response.status
      );
    }
    if (response.status < 200 || response.status > 299) {
      throw new UpstreamError(
        this.name,
        httpStatusText(response.status, response.statusText, response.body),
        'http',
        response.status
      );
    }
    if (!body || body.status !== 'success' || body.data === undefined) {
      throw new UpstreamError(
        this.name,
        'the answer is not a Prometheus API response (is the URL right?)',
        'response',
        response.status
      );
    }
    return { data: body.data, warnings: body.warnings ?? [] };
  }
}
