// Resources for the query editors and app pages (packages/shared/src/resources.ts):
// agents, containers, syscalls, profiles and Prometheus label values, all as
// JSON. Unknown paths are 404 and other methods 405, with JSON errors
// `{ "error": "..." }`. Lists that fan out to agents add `errors` naming the
// agents that did not answer.
import {
  type AgentRef,
  type AgentsResource,
  type ContainersResource,
  type LabelValuesResource,
  type ProfilesResource,
  RESOURCE_AGENTS,
  RESOURCE_CONTAINERS,
  RESOURCE_LABEL_VALUES,
  RESOURCE_PROFILES,
  RESOURCE_SYSCALLS,
  type SyscallsResource,
} from '@zviz/shared/resources';
import { CONTAINER_INFO } from '@zviz/shared/metric-names';
import type { UpstreamCall } from '@zviz/agent-client/call';

import type { ErrorSource } from '../sdk/types';
import { classify } from './errors';
import type { ZVizInstance } from './instance';
import { DECISIONS_METRIC } from './queries/decisions';
import { selector as seriesSelector } from './queries/promql-text';
import { SELECTOR } from './query-model';

export const RESOURCE_PATHS = [
  RESOURCE_AGENTS,
  RESOURCE_CONTAINERS,
  RESOURCE_SYSCALLS,
  RESOURCE_PROFILES,
  RESOURCE_LABEL_VALUES,
] as const;

/** Agents that could not answer; an extra member next to the contract's list. */
export interface AgentFailures {
  errors: Array<{ agent: string; error: string }>;
}

export interface ResourceAnswer {
  status: number;
  body: unknown;
  /** Who is to blame for an error answer: the request or settings (plugin), or an upstream. */
  errorSource?: ErrorSource;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string
  ) {
    super(message);
  }
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function timeRange(params: URLSearchParams): { start: number; end: number } | undefined {
  const from = Number(params.get('from'));
  const to = Number(params.get('to'));
  return params.has('from') && params.has('to') && Number.isFinite(from) && Number.isFinite(to) && from <= to
    ? { start: from / 1000, end: to / 1000 }
    : undefined;
}

/** Every agent, with its /health answer (version, variant) or why it gave none. */
async function agents(instance: ZVizInstance, call: UpstreamCall): Promise<AgentsResource> {
  const found = await instance.agents(call);
  const { answers, failures } = await instance.askAgents(found, call, (a, c) => a.client.health(c));
  const refs = found.map((agent): AgentRef => {
    const answer = answers.find((a) => a.agent === agent)?.value;
    const ref: AgentRef = { url: agent.url, instance: agent.name, up: answer !== undefined };
    if (answer) {
      ref.version = answer.version;
      if (answer.variant) {
        ref.variant = answer.variant;
      }
    } else {
      ref.error = failures.find((f) => f.agent === agent.name)?.error ?? 'no answer';
    }
    return ref;
  });
  return { agents: refs };
}

async function containers(
  instance: ZVizInstance,
  params: URLSearchParams,
  call: UpstreamCall
): Promise<ContainersResource & AgentFailures> {
  const found = await instance.selectAgents(params.get('agent') ?? '', call);
  const { answers, failures } = await instance.askAgents(found, call, (a, c) => a.client.containers(c));
  if (answers.length === 0 && failures.length > 0) {
    throw failures[0].cause; // none answered: the first failure is the answer
  }
  return {
    containers: answers.flatMap(({ agent, value }) => value.containers.map((c) => ({ ...c, agent: agent.name }))),
    errors: failures.map(({ agent, error }) => ({ agent, error })),
  };
}

async function syscalls(
  instance: ZVizInstance,
  params: URLSearchParams,
  call: UpstreamCall
): Promise<SyscallsResource> {
  const selector = params.get('selector') ?? '';
  if (!SELECTOR.test(selector)) {
    throw new HttpError(
      400,
      `selector ${JSON.stringify(selector)} is not a list of label matchers like instance="node-1:9090"`
    );
  }
  const prometheus = instance.requirePrometheus('the syscall list');
  const values = await prometheus.labelValues(
    'syscall',
    [seriesSelector(DECISIONS_METRIC, [selector])],
    timeRange(params),
    call
  );
  return { syscalls: [...values].sort() };
}

/** Profiles in use: zviz_container_info in Prometheus and the agents' containers. */
async function profiles(
  instance: ZVizInstance,
  params: URLSearchParams,
  call: UpstreamCall
): Promise<ProfilesResource & AgentFailures> {
  const names = new Set<string>();
  const errors: AgentFailures['errors'] = [];
  const fromPrometheus = instance.prometheus
    ? instance.prometheus.labelValues('profile', [CONTAINER_INFO], timeRange(params), call).then(
        (values) => values.forEach((v) => names.add(v)),
        (error: Error) => errors.push({ agent: '', error: error.message })
      )
    : Promise.resolve();
  const fromAgents = (async () => {
    let found;
    try {
      found = await instance.agents(call);
    } catch (error) {
      errors.push({ agent: '', error: (error as Error).message });
      return;
    }
    const { answers, failures } = await instance.askAgents(found, call, (a, c) => a.client.containers(c));
    answers.forEach(({ value }) => value.containers.forEach((c) => c.profile && names.add(c.profile)));
    failures.forEach(({ agent, error }) => errors.push({ agent, error }));
  })();
  await Promise.all([fromPrometheus, fromAgents]);
  return { profiles: [...names].sort(), errors };
}

async function labelValues(
  instance: ZVizInstance,
  params: URLSearchParams,
  call: UpstreamCall
): Promise<LabelValuesResource> {
  const label = params.get('label') ?? '';
  if (!LABEL_NAME.test(label)) {
    throw new HttpError(
      400,
      label ? `label ${JSON.stringify(label)} is not a Prometheus label name` : 'label-values needs ?label=<name>'
    );
  }
  const match = params.getAll('match').filter((m) => m.trim() !== '');
  const prometheus = instance.requirePrometheus('label values');
  return { values: [...(await prometheus.labelValues(label, match, timeRange(params), call))].sort() };
}

/** Answers one resource request; never throws. */
export async function handleResource(
  instance: ZVizInstance | Error,
  method: string,
  path: string,
  url: string,
  call: UpstreamCall
): Promise<ResourceAnswer> {
  const name = path.replace(/^\/+|\/+$/g, '');
  const error = (status: number, message: string, errorSource: ErrorSource = 'plugin'): ResourceAnswer => ({
    status,
    body: { error: message },
    errorSource,
  });
  if (!(RESOURCE_PATHS as readonly string[]).includes(name)) {
    return error(404, `no resource ${JSON.stringify(name)}; resources are ${RESOURCE_PATHS.join(', ')}`);
  }
  if (method !== 'GET') {
    return error(405, `${name} answers GET only, not ${method}`);
  }
  if (instance instanceof Error) {
    return error(400, instance.message);
  }
  const params = new URL(url || '/', 'http://resource.invalid').searchParams;
  try {
    switch (name) {
      case 'agents':
        return { status: 200, body: await agents(instance, call) };
      case 'containers':
        return { status: 200, body: await containers(instance, params, call) };
      case 'syscalls':
        return { status: 200, body: await syscalls(instance, params, call) };
      case 'profiles':
        return { status: 200, body: await profiles(instance, params, call) };
      default:
        return { status: 200, body: await labelValues(instance, params, call) };
    }
  } catch (failure) {
    if (failure instanceof HttpError) {
      return error(failure.status, failure.message);
    }
    const c = classify(failure);
    return error(c.status, c.message, c.source);
  }
}
