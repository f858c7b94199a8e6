// A small HTTP client over node:http(s) with what every upstream of ZViz's
// clients needs (the agents, and the backend's Prometheus): keep-alive
// connections per client, a timeout per request,
// cancellation, TLS options (custom CA, skip verify), auth headers, and errors
// that say in words what failed ("connection refused", "timed out after 10 s").
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';

export type Auth =
  { kind: 'none' } | { kind: 'basic'; user: string; password: string } | { kind: 'bearer'; token: string };

export interface TlsOptions {
  skipVerify?: boolean;
  /** PEM certificates to trust instead of the system CAs (Node's `ca` semantics). */
  ca?: string | string[];
}

export interface HttpClientOptions {
  timeoutMs: number;
  tls?: TlsOptions;
  userAgent?: string;
  /** What sets the callers' response limits, named when an answer exceeds one (`GF_RESPONSE_LIMIT`). */
  limitSetting?: string;
  /**
   * Asked before every request, credentials and all, is sent: why the server
   * at `url` must not get it (the request then fails with that reason), or
   * undefined. The CLI's check of who listens at the agent's address.
   */
  checkServer?: (url: URL) => string | undefined;
}

export interface RequestOptions {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** Form body (application/x-www-form-urlencoded). */
  form?: URLSearchParams;
  auth?: Auth;
  signal?: AbortSignal;
  /** Overrides the client's timeout; 0 means none. */
  timeoutMs?: number;
  /** The timeout covers the wait for the response head only (streams, quiet between events). */
  timeoutUntilHead?: boolean;
  /** request(): the most bytes of body to buffer; a larger answer is cut off and fails. */
  limitBytes?: number;
}

export interface HttpResponse {
  status: number;
  statusText: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

export interface OpenResponse {
  response: IncomingMessage;
  /** Clears the timeout and the cancellation listener. */
  finish(): void;
  /** The timeout or cancellation that ended the exchange early, if one did. */
  failure(): TransportError | undefined;
}

/**
 * Why a request failed: the network, a timeout, a cancellation, or an answer
 * over the response limit (`too-large`, cut off while it was read). The
 * message is in words; `cause` keeps the system's error (`connect
 * ECONNREFUSED 127.0.0.1:9090`) for callers that show that instead.
 */
export class TransportError extends Error {
  constructor(
    message: string,
    readonly kind: 'network' | 'timeout' | 'cancelled' | 'tls' | 'too-large',
    options?: { cause?: unknown }
  ) {
    super(message, options);
  }
}

/** The system's own error under `error`'s causes (its `code` and message), or `error` itself. */
export function systemError(error: unknown): Error & { code?: string } {
  let current = error;
  while (current instanceof Error && current.cause instanceof Error) {
    current = current.cause;
  }
  return current instanceof Error ? current : new Error(String(current));
}

/** `64 MiB`, `512 KiB`, `900 bytes`: how limits are worded in errors. */
export function formatBytes(bytes: number): string {
  const units: Array<[number, string]> = [
    [1024 ** 3, 'GiB'],
    [1024 ** 2, 'MiB'],
    [1024, 'KiB'],
  ];
  for (const [size, unit] of units) {
    if (bytes >= size) {
      const n = bytes / size;
      return `${Number.isInteger(n) ? n : n.toFixed(1)} ${unit}`;
    }
  }
  return `${bytes} bytes`;
}

/** `setting` names what sets the limit, for the reader who would raise it (`GF_RESPONSE_LIMIT`). */
export function tooLarge(limit: number, setting?: string): TransportError {
  return new TransportError(
    `the answer is larger than the response limit of ${formatBytes(limit)}${setting ? ` (${setting})` : ''} and was cut off`,
    'too-large'
  );
}

const NETWORK_WORDS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EPIPE: 'connection closed',
};

export function authHeader(auth: Auth | undefined): string | undefined {
  if (!auth || auth.kind === 'none') {
    return undefined;
  }
  if (auth.kind === 'basic') {
    return `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}`;
  }
  return `Bearer ${auth.token}`;
}

function transportError(error: NodeJS.ErrnoException): TransportError {
  const code = error.code ?? '';
  if (NETWORK_WORDS[code]) {
    return new TransportError(NETWORK_WORDS[code], 'network', { cause: error });
  }
  if (code.startsWith('ERR_TLS') || code.includes('CERT') || code.startsWith('UNABLE_TO') || code === 'EPROTO') {
    return new TransportError(`TLS: ${error.message}`, 'tls', { cause: error });
  }
  return new TransportError(error.message, 'network', { cause: error });
}

/** How a kept-alive connection the upstream has closed fails a request sent on it. */
const STALE_CONNECTION_CODES = new Set(['ECONNRESET', 'EPIPE']);

/** A request failed on a reused connection before any answer; open() may send it again. */
class StaleConnection extends Error {
  constructor(readonly failure: TransportError) {
    super(failure.message);
  }
}

export class HttpClient {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;

  constructor(private readonly options: HttpClientOptions) {
    this.httpAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });
    this.httpsAgent = new https.Agent({
      keepAlive: true,
      maxSockets: 64,
      rejectUnauthorized: !options.tls?.skipVerify,
      ca: options.tls?.ca || undefined,
    });
  }

  get timeoutMs(): number {
    return this.options.timeoutMs;
  }

  /**
   * Opens a request and resolves with the response head; the body is the
   * caller's to read. A GET that fails on a kept-alive connection before any
   * answer (the upstream closed it while it was idle: a restart, a kill, its
   * own idle timeout) is sent once more on a new connection, as Go's
   * transport does for idempotent requests: the failure was the stale
   * connection's, and the new attempt says what the upstream is now
   * ("connection refused" for a stopped agent rather than "connection reset").
   */
  async open(url: URL, options: RequestOptions = {}): Promise<OpenResponse> {
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs;
    const started = Date.now();
    try {
      return await this.openOnce(url, options, timeoutMs, true);
    } catch (error) {
      const retry = error instanceof StaleConnection && (options.method ?? 'GET') === 'GET';
      if (!retry) {
        throw error instanceof StaleConnection ? error.failure : error;
      }
      const left = timeoutMs > 0 ? Math.max(1, timeoutMs - (Date.now() - started)) : 0;
      return this.openOnce(url, options, left, false);
    }
  }

  private openOnce(url: URL, options: RequestOptions, timeoutMs: number, pooled: boolean): Promise<OpenResponse> {
    const headers: Record<string, string> = {
      'User-Agent': this.options.userAgent ?? 'zviz',
      ...options.headers,
    };
    const authorization = authHeader(options.auth);
    if (authorization) {
      headers.Authorization = authorization;
    }
    const body = options.form?.toString();
    if (body !== undefined) {
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
      headers['Content-Length'] = String(Buffer.byteLength(body));
    }
    const secure = url.protocol === 'https:';
    return new Promise((resolve, reject) => {
      if (options.signal?.aborted) {
        reject(new TransportError('cancelled', 'cancelled'));
        return;
      }
      const refused = this.options.checkServer?.(url);
      if (refused !== undefined) {
        reject(new TransportError(refused, 'network'));
        return;
      }
      let settled = false;
      let failure: TransportError | undefined;
      // The retry after a stale connection takes a connection of its own
      // (agent: false), so it cannot land on another stale one of the pool.
      const request = (secure ? https : http).request(url, {
        method: options.method ?? 'GET',
        headers,
        ...(pooled
          ? { agent: secure ? this.httpsAgent : this.httpAgent }
          : { agent: false, rejectUnauthorized: !this.options.tls?.skipVerify, ca: this.options.tls?.ca || undefined }),
      });
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              failure = new TransportError(`timed out after ${formatSeconds(timeoutMs)}`, 'timeout');
              request.destroy(failure);
            }, timeoutMs)
          : undefined;
      const onAbort = () => {
        failure = new TransportError('cancelled', 'cancelled');
        request.destroy(failure);
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      const finish = () => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
      };
      request.on('error', (error: NodeJS.ErrnoException) => {
        finish();
        if (!settled) {
          settled = true;
          if (!failure && pooled && request.reusedSocket && STALE_CONNECTION_CODES.has(error.code ?? '')) {
            reject(new StaleConnection(transportError(error)));
            return;
          }
          reject(failure ?? transportError(error));
        }
      });
      request.on('response', (response) => {
        settled = true;
        if (options.timeoutUntilHead) {
          clearTimeout(timer);
        }
        // Errors while the caller reads the body arrive on the response.
        response.on('error', () => finish());
        resolve({ response, finish, failure: () => failure });
      });
      request.end(body);
    });
  }

  /**
   * A whole request: resolves with status and body, rejects only with
   * TransportError. At most `limitBytes` of body are ever held: a larger
   * announced Content-Length fails at once, a longer body when it crosses.
   */
  async request(url: URL, options: RequestOptions = {}): Promise<HttpResponse> {
    const { response, finish, failure } = await this.open(url, options);
    const limit = options.limitBytes ?? Infinity;
    try {
      const chunks: Buffer[] = [];
      await new Promise<void>((resolve, reject) => {
        if (Number(response.headers['content-length'] ?? 0) > limit) {
          reject(tooLarge(limit, this.options.limitSetting));
          return;
        }
        let received = 0;
        response.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received > limit) {
            chunks.length = 0;
            reject(tooLarge(limit, this.options.limitSetting));
            response.destroy();
            return;
          }
          chunks.push(chunk);
        });
        response.on('end', resolve);
        response.on('error', reject);
        response.on('aborted', () => reject(new Error('response aborted')));
      });
      return {
        status: response.statusCode ?? 0,
        statusText: response.statusMessage ?? '',
        headers: response.headers,
        body: Buffer.concat(chunks),
      };
    } catch (error) {
      throw failure() ?? (error instanceof TransportError ? error : transportError(error as NodeJS.ErrnoException));
    } finally {
      finish();
      if (!response.complete) {
        // Not read to the end (too large, failed): the connection cannot be reused.
        response.destroy();
      }
    }
  }

  /** Closes idle connections; connections in use end when their requests do. */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

export function formatSeconds(ms: number): string {
  const seconds = ms / 1000;
  return `${Number.isInteger(seconds) ? seconds : seconds.toFixed(1)} s`;
}
