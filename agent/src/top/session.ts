// The state of one `zviz top`: the last two polls of the agent and what the
// decision stream has delivered. Each poll asks /health, /api/v1/containers
// and /metrics at once; the view is built from the newest two.
import {
  AGENT_PATHS,
  type ContainersResponse,
  type DecisionEvent,
  type DecisionsResponse,
  type HealthReport,
} from '@zviz/shared/agent-api';
import type { AgentClient } from '@zviz/agent-client/agent';
import { systemError } from '@zviz/agent-client/http';

import { DecisionStreamClient } from './decision-stream';
import { Exposition } from './exposition';
import {
  buildView,
  REFUSALS,
  TOP_FAMILIES,
  type Fetched,
  type Poll,
  type StreamState,
  type TopView,
  type ViewOptions,
} from './model';
import { parseForTerminal } from '../terminal/escape';

/** /metrics, the view's families only. */
const METRICS_PATH = `${AGENT_PATHS.metrics}?${encodeURIComponent('name[]')}=${TOP_FAMILIES.join(',')}`;

/** Decisions kept for the "latest decisions" table. */
const RECENT_KEPT = 200;

/** Largest answer read from the agent (a /metrics of a busy node is a few MiB). */
const MAX_ANSWER_BYTES = 32 * 1024 * 1024;

interface Answer {
  status: number;
  body: string;
}

function httpProblem(path: string, answer: Answer): string {
  if (answer.status === 401 || answer.status === 403) {
    return `${path}: credentials refused (HTTP ${answer.status}); pass --config with the agent's metrics.auth`;
  }
  if (answer.status === 429) {
    return `${path}: rate limited by the agent (HTTP 429); use a longer --interval`;
  }
  let detail = '';
  try {
    detail = `: ${(parseForTerminal(answer.body) as { error?: string }).error ?? ''}`;
  } catch {
    // Not the agent's JSON error.
  }
  return `${path}: HTTP ${answer.status}${detail}`;
}

async function fetchOne<T>(
  client: AgentClient,
  path: string,
  read: (body: string) => T,
  accept = 'application/json',
  /** The endpoint as messages name it (without the query). */
  shown = path
): Promise<Fetched<T>> {
  let answer: Answer;
  try {
    const response = await client.get(path, accept, { responseLimit: MAX_ANSWER_BYTES });
    answer = { status: response.status, body: response.body.toString('utf8') };
  } catch (error) {
    // The system's words (connect ECONNREFUSED 127.0.0.1:9090): the operator is on the node.
    return { ok: false, error: `cannot reach ${client.target.url}: ${systemError(error).message}` };
  }
  // /health answers 503 with its report when the agent is unhealthy.
  if (answer.status !== 200 && !(path === AGENT_PATHS.health && answer.status === 503)) {
    return { ok: false, error: httpProblem(shown, answer), absent: answer.status === 404 };
  }
  try {
    return { ok: true, value: read(answer.body) };
  } catch (error) {
    return { ok: false, error: `${shown}: not an agent's answer (${(error as Error).message})` };
  }
}

function readHealth(body: string): HealthReport {
  const report = parseForTerminal(body) as HealthReport;
  if (typeof report.status !== 'string' || typeof report.broker !== 'object') {
    throw new Error('no health report');
  }
  return report;
}

export class TopSession {
  private previous?: Poll;
  private current?: Poll;
  private stream?: DecisionStreamClient;
  private readonly state: {
    status: StreamState['status'];
    reason?: string;
    received: number;
    missed: number;
    recent: DecisionEvent[];
    refusedByContainer: Map<string, number>;
  } = { status: 'connecting', received: 0, missed: 0, recent: [], refusedByContainer: new Map() };

  constructor(
    readonly client: AgentClient,
    private readonly onStreamEvents: () => void = () => undefined
  ) {}

  /**
   * Asks the agent for everything a frame shows, or (`metricsOnly`) for the
   * metrics alone: the base of the rates of a single frame, whose health and
   * containers come from the poll after.
   */
  async poll(now: () => number = Date.now, { metricsOnly = false } = {}): Promise<Poll> {
    const notAsked = { ok: false as const, error: 'not asked' };
    const [health, containers, metrics] = await Promise.all([
      metricsOnly ? notAsked : fetchOne(this.client, AGENT_PATHS.health, readHealth),
      metricsOnly
        ? notAsked
        : fetchOne(
            this.client,
            AGENT_PATHS.containers,
            (body) => (parseForTerminal(body) as ContainersResponse).containers
          ),
      // Text format 0.0.4: the format the parser reads. The families the view reads,
      // by name (an agent before name[] sends them all, which the parser takes as well).
      fetchOne(this.client, METRICS_PATH, (body) => Exposition.parse(body), 'text/plain', AGENT_PATHS.metrics),
    ]);
    const poll: Poll = { at: now(), health, containers, metrics };
    // Only polls with metrics are kept as the base for rates.
    if (this.current?.metrics.ok) {
      this.previous = this.current;
    }
    this.current = poll;
    return poll;
  }

  /** Fills the latest decisions from the agent's ring (what happened before top started). */
  async loadRecent(limit: number): Promise<number | undefined> {
    const answer = await fetchOne(
      this.client,
      `${AGENT_PATHS.decisions}?limit=${limit}`,
      (body) => parseForTerminal(body) as DecisionsResponse
    );
    if (!answer.ok) {
      this.state.status = 'unavailable';
      this.state.reason = answer.error;
      return undefined;
    }
    // Without `since`, the newest come in order, oldest first.
    this.add(answer.value.events);
    if (!this.stream) {
      this.state.status = 'snapshot';
    }
    return answer.value.next;
  }

  /** Follows the decision stream after event `since` (what loadRecent returned), or from now on. */
  follow(since?: number): void {
    this.stream = new DecisionStreamClient(
      this.client,
      {
        events: (events) => {
          this.add(events);
          this.onStreamEvents();
        },
        missed: (count) => {
          this.state.missed += count;
        },
        status: (status, reason) => {
          this.state.status = status;
          this.state.reason = reason;
          this.onStreamEvents();
        },
      },
      since === undefined ? undefined : String(since)
    );
  }

  private add(events: readonly DecisionEvent[]): void {
    const recent = this.state.recent;
    const newest = recent.at(-1)?.seq ?? 0;
    for (const e of events) {
      // Events the ring already gave (a stream resumed from an older id) are not counted twice;
      // a lower seq after the newest means the agent restarted and numbering began again.
      if (e.seq <= newest && recent.some((r) => r.seq === e.seq && r.timestamp === e.timestamp)) {
        continue;
      }
      recent.push(e);
      this.state.received++;
      if ((REFUSALS as readonly string[]).includes(e.decision)) {
        this.state.refusedByContainer.set(e.container_id, (this.state.refusedByContainer.get(e.container_id) ?? 0) + 1);
      }
    }
    if (recent.length > RECENT_KEPT) {
      recent.splice(0, recent.length - RECENT_KEPT);
    }
  }

  streamState(): StreamState {
    return { ...this.state, recent: this.state.recent, refusedByContainer: this.state.refusedByContainer };
  }

  /** The view of the newest poll, or undefined before the first. */
  view(options: ViewOptions): TopView | undefined {
    return this.current ? buildView(this.current, this.previous, this.streamState(), options) : undefined;
  }

  close(): void {
    this.stream?.close();
  }
}
