// `promql` queries: PromQL passed through to Prometheus, range or instant,
// one frame per series. Grafana-managed alert rules use these frames as they
// are (time + labelled number fields).
import type { Frame, FrameMeta } from '../../frames/frame';
import type { ParsedQuery } from '../query-model';
import type { QueryContext } from './context';
import { duration, interpolateMacros, planSteps } from './promql-text';
import { instantFrames, matrixFrames } from './series';

type PromQLModel = Extract<ParsedQuery, { type: 'promql' }>['model'];

function notices(warnings: string[]): Pick<FrameMeta, 'notices'> {
  return warnings.length ? { notices: warnings.map((text) => ({ severity: 'warning', text })) } : {};
}

export async function runPromQL(ctx: QueryContext, model: PromQLModel): Promise<Frame[]> {
  const { instance, query, call } = ctx;
  const prometheus = instance.requirePrometheus('a PromQL query');
  const scrape = instance.settings.scrapeIntervalSeconds;
  const plan = planSteps(query.timeRange.from, query.timeRange.to, query.intervalMs, query.maxDataPoints, scrape);
  const expr = interpolateMacros(model.expr, plan, scrape);

  if (model.instant) {
    const answer = await prometheus.query(expr, plan.end, call);
    const meta: FrameMeta = { executedQueryString: `Expr: ${expr}\nTime: ${plan.end}`, ...notices(answer.warnings) };
    return instantFrames(answer.data, meta, model.legendFormat);
  }
  const answer = await prometheus.queryRange(expr, plan.start, plan.end, plan.step, call);
  const meta: FrameMeta = {
    executedQueryString: `Expr: ${expr}\nStep: ${duration(plan.step)}`,
    ...notices(answer.warnings),
  };
  return matrixFrames(answer.data.result, meta, model.legendFormat);
}
