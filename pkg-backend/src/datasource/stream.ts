// The live decision stream behind Grafana Live channels
// `ds/<uid>/decisions` and `ds/<uid>/decisions/<container>`: relays every
// agent's SSE stream (/api/v1/decisions/stream) as audit frames in JSON.
// Each agent connection resumes with Last-Event-ID after a failure, backing
// off from half a second to 30 s; the relay ends when Grafana cancels.
import type { DecisionEvent } from '@zviz/shared/agent-api';
import { DECISIONS_STREAM_PATH } from '@zviz/shared/query';

import type { Logger } from '../sdk/log';
import type { StreamSender } from '../sdk/types';
import type { ZVizInstance, DiscoveredAgent } from './instance';
import type { BackendMetrics } from './metrics';
import { agentEvent, type AgentEvent, auditFrame } from './queries/audit-frame';

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
  const maxBackoff = options.maxBackoffMs ?? 30_000;
  let pending: AgentEvent[] = [];

  const flush = () => {
    if (pending.length === 0) {
      return;
    }
    const batch = pending.sort((a, b) => (a.time === b.time ? a.event.seq - b.event.seq : a.time < b.time ? -1 : 1));
    pending = [];
    metrics.streamEvents.inc(batch.length);
    sender.sendFrame(auditFrame(batch));
  };
  const flusher = setInterval(flush, flushMs);

  const follow = async (agent: DiscoveredAgent, stop: AbortSignal) => {
    let lastEventId: string | undefined;
    let backoff = minBackoff;
    let failing = false;
    while (!stop.aborted) {
      try {
        await agent.client.stream(
          {
            lastEventId,
            container: container || undefined,
            signal: stop,
            onOpen: () => {
              backoff = minBackoff;
              if (failing) {
                logger.info('decision stream resumed', { agent: agent.name, last_event_id: lastEventId });
                failing = false;
              }
            },
          },
          (sse) => {
            if (sse.id !== undefined) {
              lastEventId = sse.id;
            }
            let raw: DecisionEvent;
            try {
              raw = JSON.parse(sse.data) as DecisionEvent;
            } catch {
              return; // not a decision (comments, keep-alives, other event kinds)
            }
            if (!raw || typeof raw !== 'object' || typeof raw.syscall !== 'string') {
              return;
            }
            if (container && raw.container_id !== container) {
              return;
            }
            const event = agentEvent(agent.name, raw);
            if (event) {
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
      agents = await instance.agents(signal);
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
