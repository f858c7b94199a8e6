// Client of one ZViz agent's HTTP API: /health, /api/v1/decisions,
// /api/v1/containers and the SSE stream /api/v1/decisions/stream.
import type { ContainersResponse, DecisionsResponse, HealthReport } from '@zviz/shared/agent-api';

import { type Auth, type HttpClient } from './http';
import { type ServerSentEvent, SseParser } from './sse';
import { httpStatusText, UpstreamError } from './upstream-error';

export interface AgentTarget {
  /** How people name the agent: `host:port` as in Prometheus' `instance` label. */
  name: string;
  /** Base URL, e.g. `http://10.0.0.3:9090`. */
  url: string;
}

/** The most events an agent returns per request (its /api/v1/decisions refuses more). */
export const AGENT_MAX_LIMIT = 1000;

export interface DecisionsFilter {
  since?: number;
  syscall?: string;
  decision?: string;
  container?: string;
  limit?: number;
}

export class AgentClient {
  readonly label: string;
  private readonly base: URL;

  constructor(
    readonly target: AgentTarget,
    private readonly http: HttpClient,
    private readonly auth: Auth
  ) {
    this.base = new URL(target.url.endsWith('/') ? target.url : `${target.url}/`);
    this.label = `agent ${target.name}`;
  }

  /** The health report; an unhealthy agent answers 503 with the same JSON, which is still an answer. */
  health(signal?: AbortSignal): Promise<HealthReport> {
    return this.getJson<HealthReport>('health', undefined, signal, [503]);
  }

  decisions(filter: DecisionsFilter, signal?: AbortSignal): Promise<DecisionsResponse> {
    const params = new URLSearchParams();
    const capped = {
      ...filter,
      limit: filter.limit === undefined ? undefined : Math.min(filter.limit, AGENT_MAX_LIMIT),
    };
    for (const [key, value] of Object.entries(capped)) {
      if (value !== undefined && value !== '') {
        params.set(key, String(value));
      }
    }
    return this.getJson<DecisionsResponse>('api/v1/decisions', params, signal);
  }

  containers(signal?: AbortSignal): Promise<ContainersResponse> {
    return this.getJson<ContainersResponse>('api/v1/containers', undefined, signal);
  }

  /**
   * Follows the decision stream until it ends or `signal` aborts, calling
   * `onEvent` for each event. Resolves when the agent closes the stream.
   */
  async stream(
    options: { lastEventId?: string; container?: string; signal: AbortSignal; onOpen?: () => void },
    onEvent: (event: ServerSentEvent) => void
  ): Promise<void> {
    const url = new URL('api/v1/decisions/stream', this.base);
    if (options.container) {
      url.searchParams.set('container', options.container);
    }
    const headers: Record<string, string> = { Accept: 'text/event-stream' };
    if (options.lastEventId !== undefined) {
      headers['Last-Event-ID'] = options.lastEventId;
    }
    let opened;
    try {
      // The stream lives as long as Grafana's subscribers: no request timeout.
      opened = await this.http.open(url, { headers, auth: this.auth, signal: options.signal, timeoutMs: 0 });
    } catch (error) {
      throw UpstreamError.from(this.label, error);
    }
    const { response, finish } = opened;
    try {
      if (response.statusCode !== 200) {
        const body = await readAll(response);
        throw new UpstreamError(
          this.label,
          httpStatusText(response.statusCode ?? 0, response.statusMessage ?? '', body),
          'http',
          response.statusCode
        );
      }
      options.onOpen?.();
      const parser = new SseParser();
      response.setEncoding('utf8');
      await new Promise<void>((resolve, reject) => {
        response.on('data', (chunk: string) => {
          for (const event of parser.push(chunk)) {
            onEvent(event);
          }
        });
        response.on('end', resolve);
        response.on('close', resolve);
        response.on('error', (error) => reject(UpstreamError.from(this.label, error)));
      });
    } finally {
      finish();
      response.destroy();
    }
  }

  private async getJson<T>(
    path: string,
    params: URLSearchParams | undefined,
    signal: AbortSignal | undefined,
    alsoAccept: number[] = []
  ): Promise<T> {
    const url = new URL(path, this.base);
    if (params) {
      url.search = params.toString();
    }
    let response;
    try {
      response = await this.http.request(url, { auth: this.auth, signal, headers: { Accept: 'application/json' } });
    } catch (error) {
      throw UpstreamError.from(this.label, error);
    }
    const ok = (response.status >= 200 && response.status < 300) || alsoAccept.includes(response.status);
    if (!ok) {
      throw new UpstreamError(
        this.label,
        httpStatusText(response.status, response.statusText, response.body),
        'http',
        response.status
      );
    }
    try {
      return JSON.parse(response.body.toString('utf8')) as T;
    } catch {
      throw new UpstreamError(
        this.label,
        `GET /${path} answered ${response.status} without JSON (is this a ZViz agent?)`,
        'response',
        response.status
      );
    }
  }
}

function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer | string) => chunks.push(Buffer.from(c)));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', () => resolve(Buffer.concat(chunks)));
  });
}
