// GET /api/v1/decisions/stream: decision events as Server-Sent Events.
// Event ids are sequence numbers, so a client that reconnects with
// Last-Event-ID (or ?since=) resumes from the ring; events that had already
// left the ring are announced in a `missed` event. What a client resumes is
// read from the ring a page at a time, the next page once the socket took the
// last: written at once, a resume from the start of a full ring (ten thousand
// events of up to 4 KiB each, paths a workload chose) held 77 MB per client
// that did not read, for ever. Each client has a bounded buffer: one that
// reads too slowly, or has not read for STALL_MS, is disconnected and counted
// rather than holding the agent's memory or a stream's place.
import type { DecisionEvent } from '@zviz/shared/agent-api';
import type { ServerResponse } from 'node:http';

import type { Logger } from '../log/logger';
import type { FamilySamples, MetricSource } from '../metrics/source';
import { clientKey } from '../server/client-address';
import { badRequest, HttpError, serviceUnavailable } from '../server/errors';
import { quote } from '../text/quote';
import type { RequestContext } from '../server/http';
import { queryInteger, rejectUnknownParams } from '../server/query';
import { FILTER_PARAMS, isUnfiltered, matches, parseFilter, type DecisionFilter } from './filter';
import type { EventHub } from './hub';

export interface StreamOptions {
  maxClients: number;
  /**
   * Streams one client (an IPv4 address or an IPv6 /64, as the rate limits
   * count them) may hold, so that one Grafana cannot take every slot.
   * Default: no cap beyond maxClients.
   */
  maxPerClient?: number;
  /** Events a client may have waiting before it counts as too slow. */
  bufferEvents: number;
  heartbeatSeconds: number;
  /** How long a client may leave its socket full before it is dropped as too slow (default STALL_MS). */
  stallMs?: number;
}

interface Client {
  res: ServerResponse;
  /** Who holds it (server/client-address.ts). */
  peer: string;
  filter: DecisionFilter;
  /** Events written since the socket last drained. */
  waiting: number;
  /**
   * While the client catches up from the ring: the last event it was sent
   * (or asked to resume after). Live events reach it through the ring then,
   * a page at a time, never through broadcast().
   */
  cursor?: number;
  /** When a write last found its socket full; cleared when it drains. */
  stalledSince?: number;
  /** Whether the server's response budget is spent (server/response-budget.ts). */
  overBudget: () => boolean;
}

/** Events read from the ring for a resuming client at one time. */
const REPLAY_PAGE = 64;
/**
 * A client whose socket stays full this long has stopped reading: it is
 * dropped as too slow (as other answers' connections close after 30 s
 * without progress, docs/agent.md, HTTP connections).
 */
export const STALL_MS = 30_000;

/** Lets a client reconnect quickly after the agent restarts. */
const RETRY_MS = 2000;

export class DecisionStream implements MetricSource {
  readonly families = ['zviz_api_stream_clients', 'zviz_api_stream_slow_disconnects_total'];
  private readonly clients = new Set<Client>();
  private slowDisconnects = 0;
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly stallCheck: NodeJS.Timeout;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly hub: EventHub,
    private options: StreamOptions,
    private readonly log: Logger
  ) {
    this.unsubscribe = hub.subscribe((events) => this.broadcast(events));
    this.startHeartbeat();
    this.stallCheck = setInterval(() => this.dropStalled(), Math.min(5000, Math.max(10, this.stallMs / 4)));
    this.stallCheck.unref();
  }

  private get stallMs(): number {
    return this.options.stallMs ?? STALL_MS;
  }

  configure(options: StreamOptions): void {
    const heartbeatChanged = options.heartbeatSeconds !== this.options.heartbeatSeconds;
    this.options = options;
    if (heartbeatChanged) {
      this.startHeartbeat();
    }
  }

  get clientCount(): number {
    return this.clients.size;
  }

  handle = (ctx: RequestContext): void => {
    rejectUnknownParams(ctx.query, [...FILTER_PARAMS, 'since']);
    const filter = parseFilter(ctx.query);
    const header = ctx.req.headers['last-event-id'];
    let since = queryInteger(ctx.query, 'since', { min: 0, max: Number.MAX_SAFE_INTEGER });
    if (typeof header === 'string' && header !== '') {
      if (!/^\d{1,15}$/.test(header)) {
        throw badRequest(`invalid Last-Event-ID: must be an event id (a whole number), got ${quote(header)}`);
      }
      since = Number(header);
    }
    const { req, res } = ctx;
    const peer = clientKey(req.socket.remoteAddress);
    if (this.clients.size >= this.options.maxClients) {
      throw serviceUnavailable(`too many stream clients (limit ${this.options.maxClients})`, 5);
    }
    // A client at its own cap while others have room is told it is its own.
    const perClient = this.options.maxPerClient ?? this.options.maxClients;
    const held = this.heldBy(peer);
    if (held >= perClient) {
      throw new HttpError(
        429,
        `too many decision streams from this client: it holds ${held} (limit ${perClient} per client, api.stream.max_per_client)`,
        { 'Retry-After': '5' }
      );
    }
    req.socket.setTimeout(0);
    req.socket.setNoDelay(true);
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'X-Accel-Buffering': 'no',
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const client: Client = { res, peer, filter, waiting: 0, cursor: since, overBudget: ctx.overBudget };
    res.write(`retry: ${RETRY_MS}\n\n`);
    this.clients.add(client);
    res.on('drain', () => {
      client.waiting = 0;
      client.stalledSince = undefined;
      this.catchUp(client);
    });
    res.on('close', () => this.clients.delete(client));
    this.catchUp(client);
  };

  private heldBy(peer: string): number {
    let count = 0;
    for (const client of this.clients) {
      if (client.peer === peer) {
        count++;
      }
    }
    return count;
  }

  close(): void {
    clearInterval(this.heartbeat);
    clearInterval(this.stallCheck);
    this.unsubscribe();
    for (const client of this.clients) {
      client.res.end();
    }
    this.clients.clear();
  }

  collect(): Map<string, FamilySamples> {
    return new Map([
      ['zviz_api_stream_clients', [{ labels: {}, value: this.clients.size }]],
      ['zviz_api_stream_slow_disconnects_total', [{ labels: {}, value: this.slowDisconnects }]],
    ]);
  }

  private broadcast(events: readonly DecisionEvent[]): void {
    if (this.clients.size === 0) {
      return;
    }
    // Serialise each event once, whatever the number of clients.
    const frames = new Map<DecisionEvent, string>();
    const frameOf = (event: DecisionEvent) => {
      let text = frames.get(event);
      if (text === undefined) {
        text = frame(event);
        frames.set(event, text);
      }
      return text;
    };
    let all: string | undefined;
    for (const client of this.clients) {
      if (client.cursor !== undefined) {
        continue; // catching up: it reads these from the ring after what it has
      }
      let chunk = '';
      let count = 0;
      if (isUnfiltered(client.filter)) {
        all ??= events.map(frameOf).join('');
        chunk = all;
        count = events.length;
      } else {
        for (const event of events) {
          if (matches(client.filter, event)) {
            chunk += frameOf(event);
            count++;
          }
        }
      }
      if (count > 0) {
        this.send(client, chunk, count);
      }
    }
  }

  private send(client: Client, chunk: string, count: number): void {
    if (client.res.writableNeedDrain) {
      client.waiting += count;
      if (client.waiting > this.options.bufferEvents) {
        this.disconnectSlow(client, `${client.waiting} events waiting (limit ${this.options.bufferEvents})`);
        return;
      }
      // What waits for a client that is behind counts against the answers of
      // every client: when they have spent the budget, it waits no longer.
      if (client.overBudget() || client.res.destroyed) {
        if (!client.res.destroyed) {
          this.disconnectSlow(client, `${client.waiting} events waiting while the response budget is spent`);
        }
        return;
      }
    }
    if (!client.res.write(chunk)) {
      client.stalledSince ??= Date.now();
    }
  }

  /**
   * Sends a resuming client the ring's events after its cursor, a page at a
   * time while its socket takes them; the 'drain' of its socket calls this
   * again. Once a page comes back short the client is live.
   */
  private catchUp(client: Client): void {
    const { res } = client;
    while (client.cursor !== undefined && !res.writableNeedDrain && !res.destroyed) {
      const page = this.hub.query({ since: client.cursor, filter: client.filter, limit: REPLAY_PAGE });
      let chunk = '';
      if (page.missed > 0) {
        chunk += `event: missed\ndata: ${JSON.stringify({ missed: page.missed })}\n\n`;
      }
      chunk += page.events.map(frame).join('');
      client.cursor = page.events.length < REPLAY_PAGE ? undefined : page.next;
      if (chunk !== '' && !res.write(chunk)) {
        client.stalledSince ??= Date.now();
      }
    }
  }

  private dropStalled(): void {
    const now = Date.now();
    for (const client of this.clients) {
      if (client.stalledSince !== undefined && now - client.stalledSince >= this.stallMs) {
        this.disconnectSlow(client, `nothing read for ${Math.round((now - client.stalledSince) / 1000)} s`);
      }
    }
  }

  private disconnectSlow(client: Client, why: string): void {
    this.slowDisconnects++;
    this.clients.delete(client);
    this.log.warn(
      { waiting: client.waiting, limit: this.options.bufferEvents, why },
      'decision stream client too slow; disconnected'
    );
    client.res.destroy();
  }

  private startHeartbeat(): void {
    clearInterval(this.heartbeat);
    this.heartbeat = setInterval(() => {
      for (const client of this.clients) {
        if (!client.res.writableNeedDrain) {
          client.res.write(': heartbeat\n\n');
        }
      }
    }, this.options.heartbeatSeconds * 1000);
    this.heartbeat.unref();
  }
}

function frame(event: DecisionEvent): string {
  return `id: ${event.seq}\ndata: ${JSON.stringify(event)}\n\n`;
}
