// Resources for the query editors and app pages (src/shared/resources.ts):
// agents, containers, syscalls, profiles and Prometheus label values, all as
// JSON. Unknown paths are 404 and other methods 405, with JSON errors.
import type {
  AgentsResource,
  ContainersResource,
  LabelValuesResource,
  ProfilesResource,
  ResourceError,
  SyscallsResource,
} from '@zviz/shared/resources';
import { RESOURCE_PATHS } from '@zviz/shared/resources';

import { classify } from './errors';
import type { ZVizInstance } from './instance';
import { DECISIONS_METRIC } from './queries/decisions';
import { fanOut } from './queries/fan-out';

export interface ResourceAnswer {
  status: number;
  body: unknown;
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

async function agents(instance: ZVizInstance, signal: AbortSignal): Promise<AgentsResource> {
  const found = await instance.agents(signal);
  return { agents: found.map(({ client: _client, ...entry }) => entry) };
}

async function containers(instance: ZVizInstance, signal: AbortSignal): Promise<ContainersResource> {
  const found = await instance.agents(signal);
  const { answers, failures } = await fanOut(found, (a) => a.client.containers(signal));
  return {
    containers: answers.flatMap(({ agent, value }) =>
      (value.containers ?? []).map((c) => ({ ...c, agent: agent.name }))
    ),
    errors: failures.map(({ agent, error }) => ({ agent, error })),
  };
}

async function syscalls(
  instance: ZVizInstance,
  params: URLSearchParams,
  signal: AbortSignal
): Promise<SyscallsResource> {
  const prometheus = instance.requirePrometheus('the syscall list');
  const values = await prometheus.labelValues('syscall', [DECISIONS_METRIC], timeRange(params), signal);
  return { syscalls: [...values].sort() };
}

async function profiles(
  instance: ZVizInstance,
  params: URLSearchParams,
  signal: AbortSignal
): Promise<ProfilesResource> {
  const names = new Set<string>();
  const errors: ProfilesResource['errors'] = [];
  const fromPrometheus = instance.prometheus
    ? instance.prometheus.labelValues('profile', ['zviz_container_info'], timeRange(params), signal).then(
        (values) => values.forEach((v) => names.add(v)),
        (error: Error) => errors.push({ agent: '', error: error.message })
      )
    : Promise.resolve();
  const fromAgents = (async () => {
    let found;
    try {
      found = await instance.agents(signal);
    } catch (error) {
      errors.push({ agent: '', error: (error as Error).message });
      return;
    }
    const { answers, failures } = await fanOut(found, (a) => a.client.containers(signal));
    answers.forEach(({ value }) => (value.containers ?? []).forEach((c) => c.profile && names.add(c.profile)));
    failures.forEach(({ agent, error }) => errors.push({ agent, error }));
  })();
  await Promise.all([fromPrometheus, fromAgents]);
  return { profiles: [...names].sort(), errors };
}

async function labelValues(
  instance: ZVizInstance,
  params: URLSearchParams,
  signal: AbortSignal
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
  return { values: [...(await prometheus.labelValues(label, match, timeRange(params), signal))].sort() };
}

/** Answers one resource request; never throws. */
export async function handleResource(
  instance: ZVizInstance | Error,
  method: string,
  path: string,
  url: string,
  signal: AbortSignal
): Promise<ResourceAnswer> {
  const name = path.replace(/^\/+|\/+$/g, '');
  const error = (status: number, message: string): ResourceAnswer => ({
    status,
    body: { error: message } satisfies ResourceError,
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
        return { status: 200, body: await agents(instance, signal) };
      case 'containers':
        return { status: 200, body: await containers(instance, signal) };
      case 'syscalls':
        return { status: 200, body: await syscalls(instance, params, signal) };
      case 'profiles':
        return { status: 200, body: await profiles(instance, params, signal) };
      default:
        return { status: 200, body: await labelValues(instance, params, signal) };
    }
  } catch (failure) {
    if (failure instanceof HttpError) {
      return error(failure.status, failure.message);
    }
    const c = classify(failure);
    return error(c.status, c.message);
  }
}
