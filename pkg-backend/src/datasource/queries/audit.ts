// `audit` queries: recent decision events from every agent's bounded ring
// (/api/v1/decisions), filtered, kept to the time range, merged newest first.
// Agents that fail are named in one notice; only when all fail does the query.
// Each agent's page is merged as it arrives and the pool is cut back to the
// newest `limit` events, so a thousand agents cost the memory of `limit`
// events plus the pages in flight, not of every page at once.
import type { Notice, Frame } from '../../frames/frame';
import type { ParsedQuery } from '../query-model';
import { agentEvent, type AgentEvent, auditFrame, sortNewestFirst } from './audit-frame';
import type { QueryContext } from './context';
import { unansweredNotice } from './fan-out';

type AuditModel = Extract<ParsedQuery, { type: 'audit' }>['model'];

interface AgentPage {
  missed: number;
  invalid: { count: number; first?: string };
}

export async function runAudit(ctx: QueryContext, model: AuditModel): Promise<Frame[]> {
  const { instance, query, call } = ctx;
  const agents = await instance.selectAgents(model.agent, call);
  const from = BigInt(query.timeRange.from) * 1_000_000n;
  const to = BigInt(query.timeRange.to) * 1_000_000n;
  let pool: AgentEvent[] = [];
  let unreadable = 0;
  const keep = (events: AgentEvent[]) => {
    pool.push(...events);
    if (pool.length > 2 * model.limit) {
      pool = sortNewestFirst(pool).slice(0, model.limit);
    }
  };
  const { answers, failures } = await instance.askAgents(agents, call, async (agent, agentCall): Promise<AgentPage> => {
    const page = await agent.client.decisions(
      { syscall: model.syscall, decision: model.decision, container: model.container, limit: model.limit },
      agentCall
    );
    const inRange: AgentEvent[] = [];
    for (const raw of page.events) {
      const event = agentEvent(agent.name, raw);
      if (!event) {
        unreadable++;
      } else if (event.time >= from && event.time <= to) {
        inRange.push(event);
      }
    }
    keep(inRange);
    return { missed: page.missed, invalid: page.invalid };
  });
  if (answers.length === 0) {
    throw failures[0].cause;
  }
  const notices: Notice[] = [];
  const unanswered = unansweredNotice(failures, agents.length, 'their events are missing');
  if (unanswered) {
    notices.push(unanswered);
  }
  for (const { agent, value } of answers) {
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
  const newest = sortNewestFirst(pool).slice(0, model.limit);
  return [auditFrame(newest, notices.length ? { notices } : {})];
}
