// The shapes of the agent API's answers (packages/shared/src/agent-api.ts) as
// schemas, so what an agent says is checked before anything reads it: a
// server that is not a ZViz agent, or a broken one, is named with what was
// wrong instead of passing as "status undefined". The compiler holds each
// schema to its shared type (the `Same` checks at the end), so the two cannot
// drift apart.
//
// The schemas are made at the first agent answer, not when the module loads:
// zod's constructors ran 2 to 3 ms of the backend plugin's start-up, before
// its handshake line, in a process that may never ask an agent anything (a
// promql panel does not; docs/benchmarks.md).
import {
  CONTAINER_STATES,
  type ComponentHealth,
  type ContainerInfo,
  type ContainersResponse,
  DECISIONS,
  type DecisionEvent,
  type DecisionsResponse,
  DENIAL_LAYERS,
  type HealthReport,
} from '@zviz/shared/agent-api';
import * as z from 'zod/mini';

function makeSchemas() {
  const count = z.int().check(z.nonnegative());
  const seq = z.int().check(z.nonnegative());

  const componentHealth = z.looseObject({
    status: z.enum(['ok', 'degraded', 'disabled', 'failed', 'starting']),
    reason: z.optional(z.string()),
  });

  const healthReport = z.object({
    status: z.enum(['healthy', 'degraded', 'unhealthy']),
    version: z.string(),
    uptime: z.number(),
    containers: count,
    broker: z.object({ status: z.string(), inflight: z.number() }),
    node: z.optional(z.string()),
    variant: z.optional(z.string()),
    components: z.record(z.string(), componentHealth),
  });

  const decisionEvent = z.object({
    seq,
    timestamp: z.string(),
    event_type: z.string(),
    container_id: z.string(),
    syscall: z.string(),
    args: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
    decision: z.enum(DECISIONS),
    latency_us: z.number(),
    layer: z.enum(DENIAL_LAYERS),
    pid: z.optional(z.int()),
    profile: z.optional(z.string()),
    errno: z.optional(z.int()),
  });

  /**
   * /api/v1/decisions with each event left unchecked: one malformed event
   * is dropped and counted (decisionEvent), not the whole answer.
   */
  const decisionsPage = z.object({
    // An agent answers at most the 1,000 events asked for (agent.ts'
    // AGENT_MAX_LIMIT): more is no agent's page, refused before each is checked.
    events: z.array(z.unknown()).check(z.maxLength(1000)),
    next: seq,
    missed: count,
  });

  const containerInfo = z.object({
    id: z.string(),
    name: z.string(),
    profile: z.string(),
    state: z.enum(CONTAINER_STATES),
    pid: z.optional(z.int()),
    started_at: z.optional(z.string()),
    restarts: count,
    exit_code: z.optional(z.int()),
    cgroup: z.optional(z.string()),
    limits: z.optional(
      z.object({
        memory_bytes: z.optional(z.number()),
        cpus: z.optional(z.number()),
        pids: z.optional(z.number()),
        io_read_bps: z.optional(z.number()),
        io_write_bps: z.optional(z.number()),
      })
    ),
  });

  const containersResponse = z.object({ containers: z.array(containerInfo) });

  return { componentHealth, healthReport, decisionEvent, decisionsPage, containerInfo, containersResponse };
}

export type AgentAnswerSchemas = ReturnType<typeof makeSchemas>;

let schemas: AgentAnswerSchemas | undefined;

/** The agent API's answer schemas, made at the first call. */
export function agentAnswers(): AgentAnswerSchemas {
  schemas ??= makeSchemas();
  return schemas;
}

// The compiler's proof that each schema says what the shared type says
// (types only: nothing of this exists at run time).
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Plain<T> = { [K in keyof T]: T[K] };
type Assert<T extends true> = T;
export type SchemasMatchSharedTypes = [
  Assert<Same<Plain<z.infer<AgentAnswerSchemas['decisionEvent']>>, Plain<DecisionEvent>>>,
  Assert<Same<Plain<z.infer<AgentAnswerSchemas['containerInfo']>>, Plain<ContainerInfo>>>,
  Assert<Same<Plain<z.infer<AgentAnswerSchemas['containersResponse']>>, Plain<ContainersResponse>>>,
  Assert<
    Same<Plain<Omit<z.infer<AgentAnswerSchemas['decisionsPage']>, 'events'>>, Plain<Omit<DecisionsResponse, 'events'>>>
  >,
  Assert<Same<z.infer<AgentAnswerSchemas['componentHealth']>['status'], ComponentHealth['status']>>,
  Assert<
    Same<
      Plain<Omit<z.infer<AgentAnswerSchemas['healthReport']>, 'components'>>,
      Plain<Omit<HealthReport, 'components'>>
    >
  >,
];
