// GET /api/v1/decisions/stream: decision events as Server-Sent Events.
// Event ids are sequence numbers, so a client that reconnects with
// Last-Event-ID (or ?since=) resumes from the ring; events that had already
// left the ring are announced in a `missed` event. Each client has a bounded
// buffer: one that reads too slowly is disconnected and counted rather than
// holding the agent's memory.
import type { DecisionEvent } from '@zviz/shared/agent-api';
import type { ServerResponse } from 'node:http';

import type { Logger } from '../log/logger';
import type { FamilySamples, MetricSource } from '../metrics/source';
import { badRequest, serviceUnavailable } from '../server/errors';
import { quote } from '../text/quote';
import type { RequestContext } from '../server/http';
import { queryInteger, rejectUnknownParams } from '../server/query';
import { FILTER_PARAMS, isUnfiltered, matches, parseFilter, type DecisionFilter } from './filter';
import type { EventHub } from './hub';

export interface StreamOptions {
  maxClients: number;
  /** Events a client may have waiting before it counts as too slow. */
  bufferEvents: number;
  heartbeatSeconds: number;
}

interface Client {
  res: ServerResponse;
  filter: DecisionFilter;
  /** Events written since the socket last drained. */
  waiting: number;
}

/** Lets a client reconnect quickly after the agent restarts. */
const RETRY_MS = 2000;

export class DecisionStream implements MetricSource {
  readonly families = ['zviz_api_stream_clients', 'zviz_api_stream_slow_disconnects_total'];
  private readonly clients = new Set<Client>();
  private slowDisconnects = 0;
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly hub: EventHub,
    private options: StreamOptions,
    private readonly log: Logger
  ) {
    this.unsubscribe = hub.subscribe((events) => this.broadcast(events));
    this.startHeartbeat();
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
    if (this.clients.size >= this.options.maxClients) {
      throw serviceUnavailable(`too many stream clients (limit ${this.options.maxClients})`, 5);
    }
    const { req, res } = ctx;
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
    const client: Client = { res, filter, waiting: 0 };
    res.write(`retry: ${RETRY_MS}\n\n`);
    if (since !== undefined) {
      const backlog = this.hub.query({ since, filter, limit: this.hub.capacity });
      if (backlog.missed > 0) {
        res.write(`event: missed\ndata: ${JSON.stringify({ missed: backlog.missed })}\n\n`);
      }
      if (backlog.events.length > 0) {
        res.write(backlog.events.map(frame).join(''));
      }
    }
    this.clients.add(client);
    res.on('drain', () => {
      client.waiting = 0;
    });
    res.on('close', () => this.clients.delete(client));
  };

  close(): void {
    clearInterval(this.heartbeat);
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
        this.slowDisconnects++;
        this.clients.delete(client);
        this.log.warn(
          { waiting: client.waiting, limit: this.options.bufferEvents },
          'decision stream client too slow; disconnected'
        );
        client.res.destroy();
        return;
      }
    }
    client.res.write(chunk);
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
