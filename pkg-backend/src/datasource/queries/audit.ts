// `audit` queries: recent decision events from every agent's bounded ring
// (/api/v1/decisions), filtered, kept to the time range, merged newest first.
// Agents that fail are named in a notice; only when all fail does the query.
import type { Notice, Frame } from '../../frames/frame';
import type { ParsedQuery } from '../query-model';
import { agentEvent, type AgentEvent, auditFrame, sortNewestFirst } from './audit-frame';
import type { QueryContext } from './context';
import { fanOut } from './fan-out';

type AuditModel = Extract<ParsedQuery, { type: 'audit' }>['model'];

export async function runAudit(ctx: QueryContext, model: AuditModel): Promise<Frame[]> {
  const { instance, query, call } = ctx;
  const agents = await instance.selectAgents(model.agent, call);
  const { answers, failures } = await fanOut(agents, (agent) =>
    agent.client.decisions(
      { syscall: model.syscall, decision: model.decision, container: model.container, limit: model.limit },
      call
    )
  );
  if (answers.length === 0) {
    throw failures[0].cause;
  }
  const from = BigInt(query.timeRange.from) * 1_000_000n;
  const to = BigInt(query.timeRange.to) * 1_000_000n;
  const events: AgentEvent[] = [];
  const notices: Notice[] = failures.map((f) => ({ severity: 'warning', text: f.error }));
  let unreadable = 0;
  for (const { agent, value } of answers) {
    for (const raw of value.events) {
      const event = agentEvent(agent.name, raw);
      if (!event) {
        unreadable++;
      } else if (event.time >= from && event.time <= to) {
        events.push(event);
      }
    }
    if (value.invalid.count > 0) {
      notices.push({
        severity: 'warning',
        text: `agent ${agent.name}: ${value.invalid.count} events without the agent API's shape were left out (first: ${value.invalid.first})`,
      });
    }
    if (value.missed > 0) {
      notices.push({
        severity: 'info',
        text: `agent ${agent.name}: ${value.missed} older events had left its ring buffer; the audit log has them all`,
      });
    }
  }
  if (unreadable > 0) {
    notices.push({ severity: 'warning', text: `${unreadable} events without a readable timestamp were left out` });
  }
  const newest = sortNewestFirst(events).slice(0, model.limit);
  return [auditFrame(newest, notices.length ? { notices } : {})];
}
