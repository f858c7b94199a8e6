// The agent's HTTP server: /metrics, /health, /ready and the JSON API, with
// the hardening of docs/agent.md (Hardening: security headers, rate limits,
// localhost by default) plus optional auth and TLS, and limits on connections and their
// timeouts so that no client can keep the probes out (docs/agent.md, Limits
// and failure behaviour). Components add their own endpoints with `route()`;
// every request, whatever it asks, gets the same headers, limits and error
// handling, and no input can crash the process.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';

import type { ListenAddress } from '../config/address';
import type { TlsMaterial } from '../config/checks';
import type { AuthConfig } from '../config/schema';
import type { Logger } from '../log/logger';
import { PromClientSource } from '../metrics/prom-client-source';
import { quote, shorten } from '../text/quote';
import { Authenticator } from './auth';
import { clientKey } from './client-address';
import { ConnectionTable, type Connection, type ConnectionLimits } from './connections';
import { HttpError, payloadTooLarge } from './errors';
import { jsonBytesAtLeast } from './json-size';
import { ClientBuckets, type RateLimit } from './rate-limit';
import { RequestGate, Turns } from './request-gate';
import { DEFAULT_RESPONSE_BUDGET_BYTES, ResponseBudget, type AnswerClass } from './response-budget';
import { Router, type Match, type Method } from './router';

export interface ServerSettings {
  address: ListenAddress;
  auth: AuthConfig;
  tls?: TlsMaterial;
  rateLimit: RateLimit;
  /** Answer bytes held for all clients at once (response-budget.ts); default DEFAULT_RESPONSE_BUDGET_BYTES. */
  responseBudgetBytes?: number;
}

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  query: URLSearchParams;
  /** `:name` segments of the route pattern, decoded. */
  params: Record<string, string>;
  /**
   * True when auth is off or the request's credentials are good; false only
   * for a probe route answered without credentials (exempt_probes), which
   * should then tell no more than the top-level fields (docs/agent.md, /health).
   */
  authenticated: boolean;
  /** Reads a JSON body of at most `limit` bytes; 413 past it, 400 when it is not JSON. */
  json(limit?: number): Promise<unknown>;
  /**
   * Answers with `body`, admitted against the response budget: throws a 503
   * (with Retry-After) when the answers held for all clients leave no room
   * for it. Every answer of any size goes through here (or sendJson).
   */
  send(status: number, body: string | Buffer, headers: Record<string, string>): void;
  sendJson(status: number, value: unknown, headers?: Record<string, string>): void;
  /**
   * True when the budget is spent even after closing the connections of
   * clients that stopped reading: a long-lived answer (the decision stream)
   * whose own client is behind then lets it go.
   */
  overBudget(): boolean;
}

export type Handler = (ctx: RequestContext) => void | Promise<void>;

export interface RouteOptions {
  /**
   * `probe` routes (/health, /ready) skip authentication when
   * `metrics.auth.exempt_probes` is true (the default), so kubelet and
   * load-balancer probes work without credentials. Default: `protected`.
   */
  access?: 'protected' | 'probe';
  /**
   * The share of the response budget the route's answers may use:
   * `scrape` (/metrics) all of it, `bulk` (the default) three quarters;
   * `probe` routes are never refused (response-budget.ts).
   */
  answers?: AnswerClass;
}

interface Route {
  handler: Handler;
  options: RouteOptions;
}

/** Longest request target accepted; longer gets 414. */
export const MAX_URL_LENGTH = 4096;
/** Largest request line and header block together; larger gets 431 (Node's parser enforces it). */
export const MAX_HEADER_BYTES = 16 * 1024;
/** Largest request body any route reads; a larger declared body gets 413. */
export const MAX_BODY_BYTES = 64 * 1024;
/** Time to send a request head, from the connection's start or its previous answer (and for a TLS handshake). */
export const HEADERS_TIMEOUT_MS = 10_000;
/**
 * How many connections the server holds and how long one may wait for its
 * request (connections.ts has the rules): 1024 at once; each new one has a
 * second to make its request, whatever its client holds; past that, 64
 * waiting per client.
 */
export const CONNECTION_LIMITS: ConnectionLimits = {
  total: 1024,
  perClient: 64,
  graceMs: 1000,
  waitingMs: HEADERS_TIMEOUT_MS,
};

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
  'Referrer-Policy': 'no-referrer',
  // The XSS auditor this header once controlled is gone from browsers and
  // could be abused where present; 0 is current advice (OWASP).
  'X-XSS-Protection': '0',
  'Cache-Control': 'no-store',
};

/** A JSON answer outside the response budget: only for errors, whose size is bounded. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {}
): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

export const JSON_TYPE = { 'Content-Type': 'application/json; charset=utf-8' } as const;
export const TEXT_TYPE = { 'Content-Type': 'text/plain; charset=utf-8' } as const;

export class AgentServer {
  /** The server's zviz_http_* families; add it to the registry. */
  readonly metricSource = new PromClientSource();
  private readonly requests = this.metricSource.counter('zviz_http_requests_total');
  private readonly openConnections = this.metricSource.gauge('zviz_http_open_connections');
  private readonly closedConnections = this.metricSource.counter('zviz_http_connections_closed_total');
  private readonly passwordHashes = this.metricSource.counter('zviz_http_password_hashes_total');
  private readonly budgetRefusals = this.metricSource.counter('zviz_http_response_budget_refusals_total');
  private readonly router = new Router<Route>();
  private server: Server | HttpsServer | undefined;
  private settings: ServerSettings | undefined;
  private authenticator: Authenticator | undefined;
  /** Per client: requests that reach a handler, and requests refused before one. */
  private answeredBudget: ClientBuckets | undefined;
  private refusedBudget: ClientBuckets | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly connections = new ConnectionTable(CONNECTION_LIMITS, {
    timedOut: (connection) => this.timedOut(connection),
    closed: (reason) => this.closedConnections.inc({ reason }),
  });
  private readonly budget = new ResponseBudget(DEFAULT_RESPONSE_BUDGET_BYTES, this.connections);
  /** Connections' turns with the parser (request-gate.ts). */
  private readonly turns = new Turns();

  /** Says why a new connection may not be served at all (its peer is a sandboxed workload), or nothing. */
  private guard: ((socket: Socket) => string | undefined) | undefined;
  private lastGuardWarning = -Infinity;

  constructor(private readonly log: Logger) {
    for (const reason of ['timeout', 'evicted', 'refused', 'workload', 'slow_reader']) {
      this.closedConnections.inc({ reason }, 0);
    }
    this.metricSource.gauge('zviz_http_response_pending_bytes', () => this.budget.held());
    this.metricSource.gauge('zviz_http_response_budget_bytes', () => this.budget.limit);
  }

  /**
   * Adds an endpoint. GET routes also answer HEAD. Throw an HttpError for a
   * 4xx; anything else thrown is a 500 with the details in the log only.
   */
  route(method: Method, path: string, handler: Handler, options: RouteOptions = {}): void {
    this.router.add(method, path, { handler, options });
  }

  /**
   * Refuses connections `guard` names a reason for, before anything is read
   * from them (the broker: connections from sandboxed workloads, which share
   * the node's loopback under profiles without a network namespace).
   */
  guardConnections(guard: (socket: Socket) => string | undefined): void {
    this.guard = guard;
  }

  /** Where the server listens, with the port it got (for port 0). */
  get address(): ListenAddress | undefined {
    const address = this.server?.address();
    return address && typeof address === 'object' ? { host: address.address, port: address.port } : undefined;
  }

  get secure(): boolean {
    return this.settings?.tls !== undefined;
  }

  async listen(settings: ServerSettings): Promise<void> {
    this.settings = settings;
    this.budget.configure(settings.responseBudgetBytes ?? DEFAULT_RESPONSE_BUDGET_BYTES);
    this.authenticator = new Authenticator(settings.auth, { onHash: () => this.passwordHashes.inc() });
    this.answeredBudget = new ClientBuckets(settings.rateLimit);
    this.refusedBudget = new ClientBuckets(settings.rateLimit);
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res);
    const options = {
      maxHeaderSize: MAX_HEADER_BYTES,
      // Node checks the header and request timeouts on this period (30 s by
      // default, which made a 10 s limit 10 to 40 s); once a second keeps them
      // to the second.
      connectionsCheckingInterval: 1000,
      // Node would answer a missing Host itself, without the security
      // headers or the JSON body; handle() does it instead.
      requireHostHeader: false,
    };
    const server = settings.tls
      ? createHttpsServer(
          {
            ...options,
            cert: settings.tls.cert,
            key: settings.tls.key,
            minVersion: 'TLSv1.2',
            handshakeTimeout: HEADERS_TIMEOUT_MS,
          },
          handler
        )
      : createHttpServer(options, handler);
    // The connection table closes a connection without a request head at
    // HEADERS_TIMEOUT_MS; Node's own check, a second later, is a backstop.
    server.headersTimeout = HEADERS_TIMEOUT_MS + 1000;
    server.requestTimeout = 30_000;
    server.keepAliveTimeout = 5_000;
    server.maxHeadersCount = 100;
    // A connection on which nothing moves for this long while a request is
    // answered (a client that stopped reading) is closed; the decision stream
    // turns this off for its own.
    server.timeout = 30_000;
    // Node's own listener gives a connection to its HTTP parser; here each
    // one is checked first, and the parser gets it through a RequestGate,
    // which hands it one request at a time (request-gate.ts). For HTTPS that
    // listener waits for the handshake ('secureConnection').
    const parserEvent = settings.tls ? 'secureConnection' : 'connection';
    const [toParser, ...others] = server.listeners(parserEvent) as Array<(socket: unknown) => void>;
    if (toParser === undefined || others.length > 0) {
      throw new Error(
        `Node's HTTP server has ${server.listenerCount(parserEvent)} ${parserEvent} listeners where it had one`
      );
    }
    server.removeListener(parserEvent, toParser);
    const giveToParser = (socket: Socket, connection: Connection | undefined) => {
      const gate = new RequestGate(socket, this.turns);
      if (connection) {
        connection.front = gate;
      }
      toParser.call(server, gate);
    };
    // No server.maxConnections: at that cap Node refuses every new
    // connection, probes included. The connection table makes room instead.
    server.on('connection', (socket: Socket) => {
      const refused = this.refusedByGuard(socket);
      if (refused) {
        this.closedConnections.inc({ reason: 'workload' });
        if (Date.now() - this.lastGuardWarning >= 60_000) {
          this.lastGuardWarning = Date.now();
          this.log.warn({ client: socket.remoteAddress, port: socket.remotePort }, `connection refused: ${refused}`);
        }
        socket.destroy();
        return;
      }
      if (!this.connections.admit(socket)) {
        return;
      }
      this.sockets.add(socket);
      this.openConnections.set(this.connections.size);
      socket.once('close', () => {
        this.sockets.delete(socket);
        this.openConnections.set(this.connections.size);
      });
      if (!settings.tls) {
        giveToParser(socket, this.connections.find(socket));
      }
    });
    server.on('secureConnection', (socket: TLSSocket) => {
      const connection = this.connections.find(socket);
      if (connection) {
        connection.secure = socket;
      }
      giveToParser(socket, connection);
    });
    server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => this.clientError(error, socket));
    // Without these listeners Node answers an unmet Expect with a bare 417
    // and drops a CONNECT without a word, and it sends `100 Continue` to
    // every request that expects it before the request was even matched or
    // authenticated, inviting a body that is then refused. Here a request
    // is handled like any other, and only a route that reads its body asks
    // for it (readJson()).
    server.on('checkExpectation', handler);
    server.on('checkContinue', handler);
    server.on('connect', (_req: IncomingMessage, socket: Socket) => {
      this.requests.inc({ route: 'invalid', code: '405' });
      answerAndClose(socket, 405, 'CONNECT is not supported: the agent is not a proxy');
    });
    server.on('tlsClientError', (error: Error) => this.log.debug({ err: error.message }, 'TLS handshake failed'));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(settings.address.port, settings.address.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (error) => this.log.error({ err: error.message }, 'HTTP server error'));
    this.server = server;
  }

  /**
   * Applies reloaded settings. Auth, the rate limit and the TLS certificate
   * change in place; a new address or switching TLS on or off needs a
   * restart, which the returned notes say.
   */
  reload(settings: ServerSettings): string[] {
    const notes: string[] = [];
    const current = this.settings;
    if (!current) {
      return notes;
    }
    if (settings.address.host !== current.address.host || settings.address.port !== current.address.port) {
      notes.push('metrics.address changed: restart the agent to listen on the new address');
    }
    if ((settings.tls === undefined) !== (current.tls === undefined)) {
      notes.push('metrics.tls added or removed: restart the agent to switch between HTTP and HTTPS');
    } else if (settings.tls && this.server && 'setSecureContext' in this.server) {
      this.server.setSecureContext({ cert: settings.tls.cert, key: settings.tls.key });
    }
    this.authenticator?.configure(settings.auth);
    this.answeredBudget?.configure(settings.rateLimit);
    this.refusedBudget?.configure(settings.rateLimit);
    this.budget.configure(settings.responseBudgetBytes ?? DEFAULT_RESPONSE_BUDGET_BYTES);
    this.settings = {
      ...settings,
      address: current.address,
      tls: (settings.tls === undefined) === (current.tls === undefined) ? settings.tls : current.tls,
    };
    return notes;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) {
      return;
    }
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Long-lived streams and keep-alive sockets would hold close() open.
    server.closeIdleConnections();
    for (const socket of this.sockets) {
      socket.destroy();
    }
    await closed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const front: unknown = req.socket;
    if (front instanceof RequestGate) {
      front.track(req, res);
    }
    const connection = this.connections.find(req.socket);
    if (connection) {
      this.connections.requestStarted(connection);
      connection.answers.add(res);
      res.once('close', () => {
        connection.answers.delete(res);
        this.connections.requestFinished(connection);
      });
    }
    let pattern = 'unmatched';
    // 'close', not 'finish': a stream cut off midway is counted too.
    res.once('close', () => this.requests.inc({ route: pattern, code: String(res.statusCode) }));
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
      res.setHeader(name, value);
    }
    if (this.settings?.tls) {
      res.setHeader('Strict-Transport-Security', 'max-age=31536000');
    }
    const client = clientKey(req.socket.remoteAddress);
    try {
      let url: URL;
      let found: Match<Route>;
      let authenticated: boolean;
      try {
        url = this.parseTarget(req);
        found = this.match(req.method ?? '', url.pathname);
        pattern = found.pattern;
        authenticated = await this.authenticate(req, found.route.options, client);
      } catch (error) {
        // Refused before any handler ran: malformed, unknown path, wrong
        // method, no or wrong credentials. These draw on the client's budget
        // for refusals, never on the one its answered requests use.
        if (error instanceof HttpError && error.status !== 429) {
          this.limit(this.refusedBudget, client);
        }
        throw error;
      }
      // Probes without credentials are never limited: no one else's traffic
      // may make a kubelet's probe fail.
      const unlimitedProbe = found.route.options.access === 'probe' && req.headers.authorization === undefined;
      if (!unlimitedProbe) {
        this.limit(this.answeredBudget, client);
      }
      const kind = found.route.options.answers ?? (found.route.options.access === 'probe' ? 'probe' : 'bulk');
      const route = pattern;
      const admit = (bytes: number) => {
        if (!this.budget.admit(bytes, kind, connection)) {
          this.budgetRefusals.inc({ route });
          throw new HttpError(
            503,
            'the agent holds as many answers for its clients as its memory budget allows (metrics.response_budget_mb); retry shortly',
            { 'Retry-After': '1' }
          );
        }
      };
      // Before anything is built: a spent budget costs the agent no answer.
      if (req.method !== 'HEAD') {
        admit(1);
      }
      const send = (status: number, body: string | Buffer, headers: Record<string, string>) => {
        // Bytes, not a string: the kernel takes them as they are, where a
        // string is copied again on its way (and a big one twice), and V8
        // collects a Buffer's memory at once when enough of it is garbage.
        const bytes = typeof body === 'string' ? Buffer.from(body) : body;
        admit(req.method === 'HEAD' ? 0 : bytes.length);
        res.writeHead(status, { ...headers, 'Content-Length': bytes.length });
        res.end(bytes);
      };
      await found.route.handler({
        req,
        res,
        url,
        query: url.searchParams,
        params: found.params,
        authenticated,
        json: (limit) => readJson(req, res, limit ?? MAX_BODY_BYTES),
        send,
        sendJson: (status, value, headers = {}) => {
          // Refused before it is built when it could not fit anyway.
          if (req.method !== 'HEAD') {
            admit(jsonBytesAtLeast(value));
          }
          send(status, `${JSON.stringify(value)}\n`, { ...headers, ...JSON_TYPE });
        },
        overBudget: () => !this.budget.hasRoom(kind),
      });
    } catch (error) {
      this.fail(res, error);
    }
  }

  /** The request target as a URL; 414, 400, 413 or 417 for what cannot be served. */
  private refusedByGuard(socket: Socket): string | undefined {
    try {
      return this.guard?.(socket);
    } catch (error) {
      // A peer that cannot be looked up is served as before: the guard narrows who may connect, it is not the only gate.
      this.log.debug({ err: (error as Error).message }, 'connection guard failed');
      return undefined;
    }
  }

  private parseTarget(req: IncomingMessage): URL {
    if (req.httpVersionMajor === 1 && req.httpVersionMinor >= 1 && req.headers.host === undefined) {
      throw new HttpError(400, 'HTTP/1.1 requests need a Host header');
    }
    const expect = req.headers.expect;
    if (expect !== undefined && expect.toLowerCase() !== '100-continue') {
      throw new HttpError(417, `cannot meet Expect: ${quote(expect)}; only 100-continue is supported`);
    }
    const target = req.url ?? '';
    if (target.length > MAX_URL_LENGTH) {
      throw new HttpError(414, `request target longer than ${MAX_URL_LENGTH} bytes`);
    }
    if (!target.startsWith('/')) {
      throw new HttpError(400, 'request target must be a path starting with "/"');
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_BODY_BYTES) {
      throw payloadTooLarge(MAX_BODY_BYTES);
    }
    try {
      // Appended, not resolved against the base: as a relative reference
      // `//x/metrics` would name the host `x` and the path `/metrics`.
      return new URL(`http://agent${target}`);
    } catch {
      throw new HttpError(400, 'malformed request target');
    }
  }

  /** The route for the method and path; 404 or 405 when there is none. */
  private match(method: string, path: string): Match<Route> {
    const { found, allowed } = this.router.match(method, path);
    if (found) {
      return found;
    }
    if (allowed) {
      const methods = allowed.includes('GET') ? [...allowed, 'HEAD'] : allowed;
      throw new HttpError(405, `method ${method} not allowed here; use ${methods.join(', ')}`, {
        Allow: methods.join(', '),
      });
    }
    throw new HttpError(404, `no such endpoint: ${shorten(path)}`);
  }

  /** Takes one token of the client's budget, or throws 429. */
  private limit(budget: ClientBuckets | undefined, client: string): void {
    const wait = budget?.take(client) ?? 0;
    if (wait > 0) {
      throw new HttpError(429, `rate limit exceeded; retry in ${wait} s`, { 'Retry-After': String(wait) });
    }
  }

  /**
   * Whether the request may see everything (auth is off, or its credentials
   * are good); false for a probe answered without credentials. Throws 401
   * for missing or wrong credentials, 429 when checking them would spend
   * more bcrypt work than the budget allows.
   */
  private async authenticate(req: IncomingMessage, options: RouteOptions, client: string): Promise<boolean> {
    const auth = this.authenticator;
    if (!auth || auth.type === 'none') {
      return true;
    }
    const header = req.headers.authorization;
    if (options.access === 'probe' && auth.exemptProbes && header === undefined) {
      return false;
    }
    const verdict = await auth.check(header, client);
    if (verdict.result === 'throttled') {
      throw new HttpError(429, `too many password checks; retry in ${verdict.retryAfter} s`, {
        'Retry-After': String(verdict.retryAfter),
      });
    }
    if (verdict.result === 'refused') {
      throw new HttpError(401, 'authentication required', { 'WWW-Authenticate': auth.challenge() });
    }
    return true;
  }

  private fail(res: ServerResponse, error: unknown): void {
    if (res.headersSent) {
      // A stream that broke midway: nothing left to tell the client.
      this.log.warn({ err: (error as Error).message }, 'HTTP response failed after it started');
      res.destroy();
      return;
    }
    if (error instanceof HttpError) {
      if (error.status === 429) {
        // Past its rate limit, a client's connection is closed after the
        // answer: whatever it pipelined behind the request is dropped unread
        // rather than refused one request at a time.
        res.shouldKeepAlive = false;
      }
      sendJson(res, error.status, { error: error.message }, { ...error.headers });
      return;
    }
    this.log.error({ err: (error as Error)?.stack ?? String(error) }, 'HTTP handler failed');
    sendJson(res, 500, { error: 'internal error; see the agent log' });
  }

  /** Requests Node's parser refused: malformed, oversized headers, timeouts. */
  private clientError(error: NodeJS.ErrnoException, socket: Socket): void {
    const status =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? 431
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' || error.code === 'ERR_HTTP_HEADERS_TIMEOUT'
          ? 408
          : 400;
    if (
      !socket.writable ||
      (socket as Socket & { _httpMessage?: { headersSent: boolean } })._httpMessage?.headersSent
    ) {
      // A reset, or a socket already answered (a timeout): nothing to say.
      socket.destroy();
      return;
    }
    this.requests.inc({ route: 'invalid', code: String(status) });
    if (status === 408) {
      this.closedConnections.inc({ reason: 'timeout' });
    }
    answerAndClose(socket, status);
  }

  /** A connection sent no request head in time: 408 if it sent part of one, then closed. */
  private timedOut(connection: Connection): void {
    const socket = connection.secure ?? connection.socket;
    const sentSomething = connection.socket.bytesRead > connection.readMark;
    const speaksHttp = !this.settings?.tls || connection.secure !== undefined;
    if (speaksHttp && sentSomething && socket.writable) {
      this.requests.inc({ route: 'invalid', code: '408' });
      answerAndClose(socket, 408);
    } else {
      connection.socket.destroy();
    }
  }
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
};

/** What the JSON body of an answer on a raw socket says. */
const RAW_MESSAGES: Record<number, string> = {
  400: 'bad request: not an HTTP/1.x request the agent can read',
  408: 'request timeout: the request did not arrive in time',
  431: `request header fields too large: the request line and headers together passed ${MAX_HEADER_BYTES} bytes`,
};

/**
 * Answers on a socket Node's HTTP layer has given up on (or never took), with
 * the same JSON body and security headers as every other answer, then
 * destroys it: only ending it would leave a half-closed socket that holds its
 * place until the client closes its side, which a hostile client never does.
 */
function answerAndClose(
  socket: Socket,
  status: number,
  message = RAW_MESSAGES[status] ?? 'bad request',
  extra: Record<string, string> = {}
): void {
  const reason = REASONS[status] ?? 'Bad Request';
  const body = `${JSON.stringify({ error: message })}\n`;
  const headers = Object.entries({ ...SECURITY_HEADERS, ...extra })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `${headers}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
  // Once written (or, for a client that does not read, after a second), gone.
  socket.once('finish', () => socket.destroy());
  setTimeout(() => socket.destroy(), 1000).unref();
}

async function readJson(req: IncomingMessage, res: ServerResponse, limit: number): Promise<unknown> {
  if (req.headers.expect?.toLowerCase() === '100-continue') {
    res.writeContinue();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      throw payloadTooLarge(limit);
    }
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (error) {
    throw new HttpError(400, `request body is not JSON: ${(error as Error).message}`);
  }
}
