// The tracer as `zviz agent` runs it: configured from the `tracer` section,
// logging as component "tracer", its metric source added to the agent's
// registry. Listed in defaultComponents() (agent.ts).
import type { AgentContext } from '../agent-context';
import { resolveTracerConfig, type TracerConfigInput, type TracerSections } from './config';
import { Tracer } from './tracer';

export function tracerComponent(ctx: AgentContext<TracerSections>): Tracer {
  const config = resolveTracerConfig((ctx.config.tracer ?? {}) as TracerConfigInput);
  const tracer = new Tracer(config, { logger: ctx.log.child({ component: 'tracer' }) });
  // The source answers even while the tracer cannot run: every family inactive.
  ctx.registry.addSource(tracer.source);
  return tracer;
}
