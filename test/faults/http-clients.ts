// Clients for the HTTP fault cases: a probe that opens a fresh connection
// each time, as kubelet and load balancers do, and a siege of hostile
// connections that hold sockets open by sending nothing or by trickling a
// request head, reopening each one the agent closes, as a persistent
// attacker would.
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect, type Socket } from 'node:net';

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface ProbeOptions {
  method?: string;
  headers?: Record<string, string>;
  /** The agent's certificate, for HTTPS. */
  ca?: Buffer;
  timeoutMs?: number;
  /** Source address: another loopback address (127.0.0.2) is another client to the agent. */
  localAddress?: string;
}

/** One request on a connection of its own; resolves with the answer, or the error's code. */
export function probe(url: string, options: ProbeOptions = {}): Promise<Answer | string> {
  const { method = 'GET', headers = {}, ca, timeoutMs = 5000, localAddress } = options;
  const request = url.startsWith('https:') ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    const req = request(
      url,
      { method, headers, ca, localAddress, agent: false, timeout: timeoutMs, servername: ca ? 'localhost' : undefined },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') })
        );
      }
    );
    req.on('timeout', () =>
      req.destroy(Object.assign(new Error('no answer'), { code: `no answer in ${timeoutMs} ms` }))
    );
    req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    req.end();
  });
}

/** What the probes saw: each answer's status, or the error that replaced it. */
export function outcomes(answers: Array<Answer | string>): Array<number | string> {
  return answers.map((a) => (typeof a === 'string' ? a : a.status));
}

export type SiegeMode =
  /** Connects and sends nothing (on a TLS port: no ClientHello). */
  | 'idle'
  /** Sends a request line, then one header line every two seconds, never the blank line. */
  | 'trickle';

/**
 * `count` hostile connections to host:port. Each one the agent closes is
 * opened again a moment later, so the pressure lasts until stop().
 */
export class Siege {
  /** Connections the agent closed (or refused). */
  closedByAgent = 0;
  /** Answers the agent sent on hostile connections, by their status line. */
  readonly answers = new Map<string, number>();
  private readonly sockets = new Set<Socket>();
  private readonly firstWave = new Set<Socket>();
  private stopped = false;
  private readonly trickle: NodeJS.Timeout | undefined;

  constructor(
    private readonly port: number,
    private readonly mode: SiegeMode,
    count: number
  ) {
    for (let i = 0; i < count; i++) {
      this.firstWave.add(this.open());
    }
    if (mode === 'trickle') {
      let n = 0;
      this.trickle = setInterval(() => {
        n++;
        for (const socket of this.sockets) {
          socket.write(`X-Trickle-${n}: still here\r\n`);
        }
      }, 2000);
    }
  }

  /** Connections of the first wave the agent has closed. */
  get firstWaveClosed(): number {
    return [...this.firstWave].filter((s) => s.destroyed).length;
  }

  private open(): Socket {
    const socket = connect(this.port, '127.0.0.1');
    this.sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      const line = chunk.toString('latin1').split('\r\n')[0];
      if (line.startsWith('HTTP/')) {
        this.answers.set(line, (this.answers.get(line) ?? 0) + 1);
      }
    });
    socket.on('close', () => {
      this.sockets.delete(socket);
      if (!this.stopped) {
        this.closedByAgent++;
        setTimeout(() => !this.stopped && this.open(), 50);
      }
    });
    if (this.mode === 'trickle') {
      socket.write('GET /health HTTP/1.1\r\nHost: agent\r\n');
    }
    return socket;
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.trickle);
    for (const socket of this.sockets) {
      socket.destroy();
    }
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Sends `perSecond` requests a second for `seconds`, each on a fresh
 * connection, without waiting for answers; resolves with every outcome.
 */
export async function flood(
  perSecond: number,
  seconds: number,
  request: (n: number) => Promise<Answer | string>
): Promise<Array<number | string>> {
  const pending: Array<Promise<Answer | string>> = [];
  let n = 0;
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    for (let i = 0; i < perSecond; i++) {
      pending.push(request(n++));
      await sleep(1000 / perSecond);
    }
  }
  return outcomes(await Promise.all(pending));
}

/** How often each outcome occurred: { 200: 12, 429: 3 }. */
export function tally(seen: Array<number | string>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const outcome of seen) {
    counts[outcome] = (counts[outcome] ?? 0) + 1;
  }
  return counts;
}

/**
 * Runs each named check once a second for `seconds` (all of them at once,
 * as a kubelet and a Prometheus would) and returns what each saw.
 */
export async function everySecond(
  seconds: number,
  checks: Record<string, () => Promise<Answer | string>>
): Promise<Record<string, Array<number | string>>> {
  const seen: Record<string, Array<number | string>> = Object.fromEntries(Object.keys(checks).map((k) => [k, []]));
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    const answers = await Promise.all(Object.values(checks).map((check) => check()));
    Object.keys(checks).forEach((name, i) => seen[name].push(...outcomes([answers[i]])));
    await sleep(1000);
  }
  return seen;
}

/**
 * Sends bytes as they are on a connection of its own and returns everything
 * the agent sent back until it closed the connection (or `timeoutMs` passed,
 * then with a note at the end).
 */
export function raw(port: number, bytes: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const done = (note = '') => resolve(Buffer.concat(chunks).toString('latin1') + note);
    const timer = setTimeout(() => {
      socket.destroy();
      done('\n[still open]');
    }, timeoutMs);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      done();
    });
    socket.write(bytes);
  });
}

/** A raw answer's status line, headers (lower-case names) and body. */
export function parseRaw(text: string): { statusLine: string; headers: Record<string, string>; body: string } {
  const [head, ...rest] = text.split('\r\n\r\n');
  const [statusLine, ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(
    lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()])
  );
  return { statusLine, headers, body: rest.join('\r\n\r\n') };
}
