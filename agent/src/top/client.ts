// How `zviz top` talks to an agent: GET with the configured credentials and
// TLS trust, bounded answers and a timeout, and the decision stream (SSE,
// parsed by eventsource-parser) that reconnects with Last-Event-ID.
import { AGENT_PATHS, type DecisionEvent } from '@zviz/shared/agent-api';
import { createParser } from 'eventsource-parser';
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { rootCertificates } from 'node:tls';

import { formatAddress, parseAddress } from '../config/address';
import { MAX_PEM_FILE_BYTES } from '../config/checks';
import { readRegularText } from '../files/regular-file';
import { parseForTerminal } from '../terminal/escape';
import type { CoreConfig } from '../config/schema';

/** Largest answer read from the agent (a /metrics of a busy node is a few MiB). */
const MAX_BODY_BYTES = 32 * 1024 * 1024;

export interface Answer {
  status: number;
  body: string;
}

export interface ClientOptions {
  timeoutMs: number;
  insecure?: boolean;
  /** Basic-auth credentials; the configuration holds only their bcrypt hashes. */
  basic?: { user: string; password: string };
}

export class AgentClient {
  private constructor(
    readonly baseUrl: string,
    private readonly headers: Record<string, string>,
    private readonly tls: Pick<RequestOptions, 'ca' | 'rejectUnauthorized'>,
    private readonly timeoutMs: number
  ) {}

  /** The agent at the configuration's metrics.address (loopback when it binds every interface). */
  static fromConfig(config: CoreConfig, options: ClientOptions): AgentClient {
    const parsed = parseAddress(config.metrics.address);
    if ('error' in parsed) {
      throw new Error(parsed.error);
    }
    const host = parsed.host === '0.0.0.0' ? '127.0.0.1' : parsed.host === '::' ? '::1' : parsed.host;
    const tls = config.metrics.tls;
    const headers: Record<string, string> = {};
    const auth = config.metrics.auth;
    if (auth.type === 'bearer' && auth.token) {
      headers.Authorization = `Bearer ${auth.token}`;
    } else if (options.basic) {
      headers.Authorization = `Basic ${Buffer.from(`${options.basic.user}:${options.basic.password}`).toString('base64')}`;
    }
    return new AgentClient(
      `${tls ? 'https' : 'http'}://${formatAddress({ host, port: parsed.port })}`,
      headers,
      {
        // A self-signed agent certificate is trusted as its own CA, next to the system's.
        ...(tls && !options.insecure
          ? { ca: [...rootCertificates, readRegularText(tls.cert_file, MAX_PEM_FILE_BYTES)] }
          : {}),
        ...(options.insecure ? { rejectUnauthorized: false } : {}),
      },
      options.timeoutMs
    );
  }

  private open(
    path: string,
    headers: Record<string, string>,
    onResponse: (res: IncomingMessage) => void
  ): ClientRequest {
    const url = `${this.baseUrl}${path}`;
    const request = url.startsWith('https:') ? httpsRequest : httpRequest;
    return request(url, { headers: { ...this.headers, ...headers }, ...this.tls }, onResponse);
  }

  /** GET `path`; rejects when there is no answer (refused, timed out, TLS), not on HTTP errors. */
  get(path: string, accept = 'application/json'): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = this.open(path, { Accept: accept }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY_BYTES) {
            req.destroy(new Error(`answer larger than ${MAX_BODY_BYTES / 1024 / 1024} MiB`));
          }
          chunks.push(chunk);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.setTimeout(this.timeoutMs, () => req.destroy(new Error(`no answer within ${this.timeoutMs / 1000} s`)));
      req.on('error', reject);
      req.end();
    });
  }

  /**
   * Follows /api/v1/decisions/stream until closed, reconnecting after
   * failures; with `since`, starts after that event (the ring sends what
   * came in between).
   */
  stream(handlers: StreamHandlers, since?: number): DecisionStreamClient {
    return new DecisionStreamClient(this, handlers, since === undefined ? undefined : String(since));
  }

  /** Opens the stream once; used by DecisionStreamClient. */
  openStream(lastEventId: string | undefined, onResponse: (res: IncomingMessage) => void): ClientRequest {
    const headers: Record<string, string> = { Accept: 'text/event-stream' };
    if (lastEventId !== undefined) {
      headers['Last-Event-ID'] = lastEventId;
    }
    const req = this.open(AGENT_PATHS.decisionStream, headers, onResponse);
    // Only the connection is timed; an open stream is quiet between heartbeats.
    req.setTimeout(this.timeoutMs, () => req.destroy(new Error(`no answer within ${this.timeoutMs / 1000} s`)));
    req.end();
    return req;
  }
}

export interface StreamHandlers {
  events(events: DecisionEvent[]): void;
  missed(count: number): void;
  status(status: 'connecting' | 'connected' | 'reconnecting' | 'unavailable', reason?: string): void;
}

/** One reader of the decision stream, resuming from the last event id it saw. */
export class DecisionStreamClient {
  private req?: ClientRequest;
  private retryMs = 2000;
  private timer?: NodeJS.Timeout;
  private closed = false;
  private attempts = 0;

  constructor(
    private readonly client: AgentClient,
    private readonly handlers: StreamHandlers,
    private lastEventId?: string
  ) {
    this.connect();
  }

  private connect(): void {
    this.handlers.status(this.attempts++ === 0 ? 'connecting' : 'reconnecting');
    let ended = false;
    const again = (reason: string, unavailable = false) => {
      if (ended || this.closed) {
        return;
      }
      ended = true;
      this.handlers.status(unavailable ? 'unavailable' : 'reconnecting', reason);
      this.timer = setTimeout(() => this.connect(), unavailable ? Math.max(this.retryMs, 10_000) : this.retryMs);
    };
    const req = this.client.openStream(this.lastEventId, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        const reason =
          res.statusCode === 404
            ? 'this agent has no decision stream (404)'
            : res.statusCode === 401 || res.statusCode === 403
              ? `credentials refused (HTTP ${res.statusCode}); pass --config with the agent's metrics.auth`
              : `HTTP ${res.statusCode}`;
        again(reason, res.statusCode === 404 || res.statusCode === 401 || res.statusCode === 403);
        return;
      }
      req.setTimeout(0);
      this.handlers.status('connected');
      let batch: DecisionEvent[] = [];
      const parser = createParser({
        onEvent: (message) => {
          if (message.id !== undefined) {
            this.lastEventId = message.id;
          }
          if (message.event === 'missed') {
            this.handlers.missed(Number((JSON.parse(message.data) as { missed: number }).missed) || 0);
            return;
          }
          try {
            batch.push(parseForTerminal(message.data) as DecisionEvent);
          } catch {
            // A malformed event is skipped; the next one carries on.
          }
        },
        onRetry: (ms) => {
          this.retryMs = ms;
        },
      });
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        parser.feed(chunk);
        // Hand over what one chunk held at once: a burst is one update, not hundreds.
        if (batch.length > 0) {
          const events = batch;
          batch = [];
          this.handlers.events(events);
        }
      });
      res.on('end', () => again('the agent closed the stream'));
      res.on('error', (error) => again(error.message));
    });
    req.on('error', (error) => again(error.message));
    this.req = req;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.req?.destroy();
  }
}
