// How `zviz top` follows the agent's decision stream: the agent client's
// stream (@zviz/agent-client, SSE read with a bound), reconnected after
// every failure and resumed with Last-Event-ID, the agent's `retry:` obeyed,
// and the events of one network chunk handed over as one update.
import { type AgentClient, checkDecisionEvent } from '@zviz/agent-client/agent';
import { systemError } from '@zviz/agent-client/http';
import { UpstreamError } from '@zviz/agent-client/upstream-error';
import type { DecisionEvent } from '@zviz/shared/agent-api';

import { parseForTerminal } from '../terminal/escape';

export interface StreamHandlers {
  events(events: DecisionEvent[]): void;
  missed(count: number): void;
  status(status: 'connecting' | 'connected' | 'reconnecting' | 'unavailable', reason?: string): void;
}

/** Why the stream is not open, and whether asking again soon can help. */
function whyNot(error: unknown): { reason: string; unavailable: boolean } {
  if (error instanceof UpstreamError && error.kind === 'http') {
    const status = error.httpStatus;
    if (status === 404) {
      return { reason: 'this agent has no decision stream (404)', unavailable: true };
    }
    if (status === 401 || status === 403) {
      return {
        reason: `credentials refused (HTTP ${status}); pass --config with the agent's metrics.auth`,
        unavailable: true,
      };
    }
    return { reason: `HTTP ${status}`, unavailable: false };
  }
  // The system's words (connect ECONNREFUSED 127.0.0.1:9090), as the rest of top shows them.
  return { reason: systemError(error).message, unavailable: false };
}

/** One reader of the decision stream, resuming from the last event id it saw. */
export class DecisionStreamClient {
  private stop?: AbortController;
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
    const stop = new AbortController();
    this.stop = stop;
    let batch: DecisionEvent[] = [];
    // The events of one chunk arrive in one synchronous run of onEvent: they
    // go out together once it ends, so a burst is one update, not hundreds.
    const handOver = () => {
      const events = batch;
      batch = [];
      if (events.length > 0 && !this.closed) {
        this.handlers.events(events);
      }
    };
    const again = (reason: string, unavailable: boolean) => {
      if (this.closed) {
        return;
      }
      this.handlers.status(unavailable ? 'unavailable' : 'reconnecting', reason);
      this.timer = setTimeout(() => this.connect(), unavailable ? Math.max(this.retryMs, 10_000) : this.retryMs);
    };
    this.client
      .stream(
        {
          since: this.lastEventId,
          signal: stop.signal,
          onOpen: () => this.handlers.status('connected'),
          onRetry: (ms) => {
            this.retryMs = ms;
          },
        },
        (message) => {
          if (message.id !== undefined) {
            this.lastEventId = message.id;
          }
          if (message.event === 'missed') {
            try {
              this.handlers.missed(Number((JSON.parse(message.data) as { missed: number }).missed) || 0);
            } catch {
              // A malformed count is not a reason to drop the stream.
            }
            return;
          }
          let checked;
          try {
            checked = checkDecisionEvent(parseForTerminal(message.data));
          } catch {
            return; // not JSON: skipped; the next one carries on
          }
          if (checked.ok) {
            if (batch.length === 0) {
              queueMicrotask(handOver);
            }
            batch.push(checked.event);
          }
        }
      )
      .then(
        () => {
          handOver();
          again('the agent closed the stream', false);
        },
        (error: unknown) => {
          handOver();
          const { reason, unavailable } = whyNot(error);
          again(reason, unavailable);
        }
      );
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.stop?.abort();
  }
}
