// `health` queries: every agent's /health as a table row. An agent that
// cannot be reached is a row too (status `unreachable`, the reason in
// `error`), so a fleet view shows it rather than failing.
import type { HealthReport } from '@zviz/shared/agent-api';
import {
  HEALTH_COMPONENT_PREFIX,
  HEALTH_FIELDS as F,
  HEALTH_FRAME,
  INVALID_ANSWER_STATUS,
  UNREACHABLE_STATUS,
} from '@zviz/shared/frames';
import { UpstreamError } from '@zviz/agent-client/upstream-error';

import { type Field, type Frame, frame, numberField, stringField } from '../../frames/frame';
import type { ParsedQuery } from '../query-model';
import type { QueryContext } from './context';
import { unansweredNotice } from './fan-out';

type HealthModel = Extract<ParsedQuery, { type: 'health' }>['model'];

interface Row {
  agent: string;
  report?: HealthReport;
  error?: string;
  /** The agent answered, but not with a health report. */
  invalid?: boolean;
}

export function healthFrame(rows: Row[]): Frame {
  const components = [...new Set(rows.flatMap((r) => Object.keys(r.report?.components ?? {})))].sort();
  const text = (pick: (r: HealthReport) => unknown) =>
    rows.map((r) => {
      const v = r.report ? pick(r.report) : undefined;
      return v === undefined || v === null ? '' : String(v);
    });
  const number = (pick: (r: HealthReport) => unknown) =>
    rows.map((r) => {
      const v = r.report ? pick(r.report) : undefined;
      return typeof v === 'number' && Number.isFinite(v) ? v : null;
    });
  const fields: Field[] = [
    stringField(
      F.agent,
      rows.map((r) => r.agent)
    ),
    stringField(
      F.status,
      rows.map((r) => (r.report ? r.report.status : r.invalid ? INVALID_ANSWER_STATUS : UNREACHABLE_STATUS))
    ),
    stringField(
      F.version,
      text((h) => h.version)
    ),
    numberField(
      F.uptime,
      number((h) => h.uptime),
      { config: { unit: 's' } }
    ),
    numberField(
      F.containers,
      number((h) => h.containers)
    ),
    stringField(
      F.brokerStatus,
      text((h) => h.broker?.status)
    ),
    numberField(
      F.brokerInflight,
      number((h) => h.broker?.inflight)
    ),
    stringField(
      F.node,
      text((h) => h.node)
    ),
    stringField(
      F.variant,
      text((h) => h.variant)
    ),
    stringField(
      F.error,
      rows.map((r) => r.error ?? '')
    ),
  ];
  for (const name of components) {
    fields.push(
      stringField(
        `${HEALTH_COMPONENT_PREFIX}${name}`,
        text((h) => h.components?.[name]?.status)
      )
    );
    fields.push(
      stringField(
        `${HEALTH_COMPONENT_PREFIX}${name}_reason`,
        text((h) => h.components?.[name]?.reason)
      )
    );
  }
  return frame(HEALTH_FRAME, fields, { type: 'table', preferredVisualisationType: 'table' });
}

export async function runHealth(ctx: QueryContext, model: HealthModel): Promise<Frame[]> {
  const agents = await ctx.instance.selectAgents(model.agent, ctx.call);
  const { answers, failures } = await ctx.instance.askAgents(agents, ctx.call, (agent, call) =>
    agent.client.health(call)
  );
  const byName = new Map<string, Row>();
  for (const { agent, value } of answers) {
    byName.set(agent.name, { agent: agent.name, report: value });
  }
  for (const failure of failures) {
    const invalid = failure.cause instanceof UpstreamError && failure.cause.kind === 'response';
    byName.set(failure.agent, { agent: failure.agent, error: failure.error, invalid });
  }
  const table = healthFrame(agents.map((a) => byName.get(a.name)!));
  const notice = unansweredNotice(failures, agents.length);
  if (notice) {
    table.meta = { ...table.meta, notices: [notice] };
  }
  return [table];
}
