// Decision events as a logs frame (Grafana's log-lines shape plus the record
// fields), shared by the `audit` query and the live stream.
import type { Decision, DecisionEvent } from '@zviz/shared/agent-api';
import { AUDIT_FIELDS as F, AUDIT_FRAME } from '@zviz/shared/frames';
import { visibleJson } from '@zviz/shared/visible-json';

import {
  type Frame,
  type FrameMeta,
  frame,
  jsonField,
  nanosFromISO,
  numberField,
  stringField,
  timeField,
} from '../../frames/frame';

export interface AgentEvent {
  agent: string;
  event: DecisionEvent;
  /** Nanoseconds since the epoch, parsed once. */
  time: bigint;
}

/** Grafana log levels by decision: refusals stand out, kills most. */
const SEVERITY: Record<Decision, string> = {
  allow: 'info',
  emulate: 'info',
  log: 'info',
  deny: 'warning',
  trap: 'error',
  kill: 'critical',
};

export function agentEvent(agent: string, event: DecisionEvent): AgentEvent | undefined {
  const time = typeof event.timestamp === 'string' ? nanosFromISO(event.timestamp) : undefined;
  return time === undefined ? undefined : { agent, event, time };
}

function body(e: DecisionEvent): string {
  const parts = [`${e.decision} ${e.syscall}`, `layer=${e.layer}`, `container=${e.container_id}`];
  if (e.errno !== undefined) {
    parts.push(`errno=${e.errno}`);
  }
  parts.push(`latency=${e.latency_us}µs`);
  const args = Object.entries(e.args ?? {}).map(([k, v]) => `${k}=${visibleJson(v)}`);
  return args.length ? `${parts.join(' ')} ${args.join(' ')}` : parts.join(' ');
}

function optionalNumber(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** Newest first, as the logs panel and the audit table show them. */
export function sortNewestFirst(events: AgentEvent[]): AgentEvent[] {
  return events.sort((a, b) => (a.time === b.time ? b.event.seq - a.event.seq : a.time > b.time ? -1 : 1));
}

export function auditFrame(events: AgentEvent[], meta: FrameMeta = {}): Frame {
  const e = events.map((x) => x.event);
  return frame(
    AUDIT_FRAME,
    [
      timeField(
        F.timestamp,
        events.map((x) => x.time)
      ),
      stringField(F.body, e.map(body)),
      stringField(
        F.severity,
        e.map((x) => SEVERITY[x.decision] ?? 'unknown')
      ),
      stringField(
        F.id,
        events.map((x) => `${x.agent}/${x.event.seq}`)
      ),
      jsonField(
        F.labels,
        events.map((x) => ({
          agent: x.agent,
          container_id: x.event.container_id,
          syscall: x.event.syscall,
          decision: x.event.decision,
          layer: x.event.layer,
          ...(x.event.profile ? { profile: x.event.profile } : {}),
        }))
      ),
      stringField(
        F.agent,
        events.map((x) => x.agent)
      ),
      stringField(
        F.containerId,
        e.map((x) => x.container_id ?? '')
      ),
      stringField(
        F.syscall,
        e.map((x) => x.syscall ?? '')
      ),
      stringField(
        F.decision,
        e.map((x) => x.decision ?? '')
      ),
      stringField(
        F.layer,
        e.map((x) => x.layer ?? '')
      ),
      numberField(
        F.latencyUs,
        e.map((x) => optionalNumber(x.latency_us)),
        { config: { unit: 'µs' } }
      ),
      stringField(
        F.eventType,
        e.map((x) => x.event_type ?? '')
      ),
      numberField(
        F.seq,
        e.map((x) => optionalNumber(x.seq))
      ),
      stringField(
        F.profile,
        e.map((x) => x.profile ?? '')
      ),
      numberField(
        F.pid,
        e.map((x) => optionalNumber(x.pid))
      ),
      numberField(
        F.errno,
        e.map((x) => optionalNumber(x.errno))
      ),
      stringField(
        F.args,
        e.map((x) => visibleJson(x.args ?? {}))
      ),
    ],
    { type: 'log-lines', typeVersion: [0, 0], preferredVisualisationType: 'logs', ...meta }
  );
}
