// The live decision stream behind Grafana Live channels
// `ds/<uid>/decisions` and `ds/<uid>/decisions/<container>`: relays every
// agent's SSE stream (/api/v1/decisions/stream) as audit frames in JSON.
// Each agent connection starts from the agent's position at subscription and
// resumes with Last-Event-ID after a failure or an agent restart, backing off
// from half a second to 5 s; the relay ends when Grafana cancels.
import { DECISIONS_STREAM_PATH } from '@zviz/shared/query';
import { checkDecisionEvent, EVENT_BUDGET } from '@zviz/agent-client/agent';
import { jsonOverBudget } from '@zviz/agent-client/json-budget';

import type { Logger } from '../sdk/log';
import type { StreamSender } from '../sdk/types';
import type { ZVizInstance, DiscoveredAgent } from './instance';
import type { BackendMetrics } from './metrics';
import { agentEvent, type AgentEvent, auditFrame } from './queries/audit-frame';

/** The largest decision event relayed; an agent's are a few KiB at most (docs/datasource.md). */
export const MAX_EVENT_CHARS = 64 * 1024;

const CONTAINER_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** The container a stream path asks for: '' for all, undefined for no such stream. */
export function streamContainer(path: string): string | undefined {
  if (path === DECISIONS_STREAM_PATH) {
    return '';
  }
  const prefix = `${DECISIONS_STREAM_PATH}/`;
  if (path.startsWith(prefix) && CONTAINER_ID.test(path.slice(prefix.length))) {
    return path.slice(prefix.length);
  }
  return undefined;
}

export interface RelayOptions {
  /** How long events gather before they go out as one frame. */
  flushMs?: number;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** How often the agent list is refreshed (Prometheus discovery). */
  rediscoverMs?: number;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

export async function relayDecisions(
  instance: ZVizInstance,
  container: string,
  sender: StreamSender,
  signal: AbortSignal,
  deps: { logger: Logger; metrics: BackendMetrics },
  options: RelayOptions = {}
): Promise<void> {
  const { logger, metrics } = deps;
  const flushMs = options.flushMs ?? 100;
  const minBackoff = options.minBackoffMs ?? 500;
  // Short enough that an agent back from a restart is relayed again within
  // seconds (docs/benchmarks.md, the fleet: with 30 s, ten agents restarted
  // together were relayed again 8.5 s after they were ready); a refused
  // connection every 5 s per agent that is down costs nothing.
  const maxBackoff = options.maxBackoffMs ?? 5_000;
  let pending: AgentEvent[] = [];

  const flush = () => {
    if (pending.length === 0) {
      return;
    }
    const batch = pending.sort((a, b) => (a.time === b.time ? a.event.seq - b.event.seq : a.time < b.time ? -1 : 1));
    pending = [];
    if (sender.sendFrame(auditFrame(batch))) {
      metrics.streamEvents.inc(batch.length);
      return;
    }
    metrics.streamDroppedEvents.inc({ reason: 'grafana_slow' }, batch.length);
    const now = Date.now();
    if (now - lastDropWarning >= 60_000) {
      lastDropWarning = now;
      logger.warn('Grafana is not taking the decision stream as fast as agents send it; events dropped', {
        dropped: batch.length,
      });
    }
  };
  let lastDropWarning = -Infinity;
  const flusher = setInterval(flush, flushMs);

  const relayStart = BigInt(Date.now()) * 1_000_000n;
  const follow = async (agent: DiscoveredAgent, stop: AbortSignal) => {
    // Where the relay stands in the agent's numbering. Taken from the agent
    // before the first connection, so that whatever happens next (a dropped
    // connection, an agent restart before its first event) is replayed from
    // the agent's ring with Last-Event-ID.
    let position: string | undefined;
    // The agent could not be asked at subscription: replay its whole ring
    // once, keeping only what happened since the relay started.
    let sinceRelayStart = false;
    let backoff = minBackoff;
    let failing = false;
    while (!stop.aborted) {
      try {
        if (position === undefined && !sinceRelayStart) {
          try {
            position = String((await agent.client.decisions({ limit: 1 }, { signal: stop })).next);
          } catch (error) {
            sinceRelayStart = true;
            throw error;
          }
        }
        await agent.client.stream(
          {
            since: position ?? '0',
            container: container || undefined,
            signal: stop,
            onOpen: () => {
              backoff = minBackoff;
              if (failing) {
                logger.info('decision stream resumed', { agent: agent.name, last_event_id: position ?? '0' });
                failing = false;
              }
            },
          },
          (sse) => {
            if (sse.id !== undefined) {
              position = sse.id;
              sinceRelayStart = false;
            }
            if (sse.event === 'missed') {
              logger.warn("decision events had left the agent's ring before the relay resumed", {
                agent: agent.name,
                detail: sse.data,
              });
              return;
            }
            if (sse.event !== 'message' && sse.event !== 'decision') {
              return; // other event kinds a newer agent may send
            }
            if (sse.data.length > MAX_EVENT_CHARS) {
              // An agent's event holds at most a path (PATH_MAX) and a few
              // fields: one this large is an upstream that is not an agent.
              metrics.streamDroppedEvents.inc({ reason: 'too_large' });
              return;
            }
            // An event is a dozen fields: JSON far beyond that is left out
            // unparsed (one MAX_EVENT_CHARS event of `{},` is 350,000 objects).
            const over = jsonOverBudget(sse.data, EVENT_BUDGET);
            const checked = over
              ? { ok: false as const, problem: `JSON ${over}` }
              : checkDecisionEvent(parsed(sse.data));
            if (!checked.ok) {
              metrics.streamInvalidEvents.inc();
              logger.warn('an agent sent a decision event of the wrong shape; left out', {
                agent: agent.name,
                event_id: sse.id,
                problem: checked.problem,
              });
              return;
            }
            if (container && checked.event.container_id !== container) {
              return;
            }
            const event = agentEvent(agent.name, checked.event);
            if (event && !(sinceRelayStart && event.time < relayStart)) {
              pending.push(event);
            }
          }
        );
      } catch (error) {
        if (stop.aborted) {
          break;
        }
        if (!failing) {
          logger.warn('decision stream failed; reconnecting', { agent: agent.name, error });
          failing = true;
        }
      }
      if (stop.aborted) {
        break;
      }
      metrics.streamReconnects.inc();
      // Jitter keeps a fleet of relays from reconnecting in lockstep.
      await sleep(backoff * (0.8 + Math.random() * 0.4), stop);
      backoff = Math.min(backoff * 2, maxBackoff);
    }
  };

  const running = new Map<string, { stop: AbortController; done: Promise<void> }>();
  const reconcile = async () => {
    let agents: DiscoveredAgent[];
    try {
      agents = await instance.agents({ signal });
    } catch (error) {
      logger.warn('agent discovery for the decision stream failed', { error });
      return;
    }
    const wanted = new Set(agents.map((a) => a.url));
    for (const [url, relay] of running) {
      if (!wanted.has(url)) {
        relay.stop.abort();
        running.delete(url);
      }
    }
    for (const agent of agents) {
      if (!running.has(agent.url)) {
        const stop = new AbortController();
        signal.addEventListener('abort', () => stop.abort(), { once: true });
        running.set(agent.url, { stop, done: follow(agent, stop.signal) });
      }
    }
  };

  metrics.streams.inc();
  try {
    await reconcile();
    const rediscover = options.rediscoverMs ?? 30_000;
    while (!signal.aborted) {
      await sleep(rediscover, signal);
      if (!signal.aborted && instance.settings.agents.kind === 'prometheus') {
        await reconcile();
      }
    }
    await Promise.all([...running.values()].map((r) => r.done));
  } finally {
    clearInterval(flusher);
    metrics.streams.dec();
  }
}

/** The JSON of `text`, or the text itself when it is not JSON (the event check then says what it is). */
function parsed(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
