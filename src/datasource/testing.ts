// A real ZViz datasource instance for editor and datasource tests, with its
// backend resources answered from fixtures shaped like src/shared/resources.ts.
import type { DataSourceInstanceSettings } from '@grafana/data';

import type {
  AgentsResource,
  ContainersResource,
  LabelValuesResource,
  ProfilesResource,
  SyscallsResource,
} from '../shared/resources';
import { ZVizDataSource } from './datasource';
import type { ZVizOptions } from './types';

export const resources: {
  agents: AgentsResource;
  containers: ContainersResource;
  syscalls: SyscallsResource;
  profiles: ProfilesResource;
  'label-values': LabelValuesResource;
} = {
  agents: {
    agents: [
      { url: 'http://node-1:9090', instance: 'node-1:9090', up: true, version: '0.1.0', variant: 'production' },
      { url: 'http://node-2:9090', instance: 'node-2:9090', up: false, error: 'connection refused' },
    ],
  },
  containers: {
    containers: [
      { id: 'ci-42', name: 'build-42', profile: 'ci-runner', state: 'running', agent: 'node-1:9090' },
      { id: 'ci-43', name: 'ci-43', profile: 'strict', state: 'exited', agent: 'node-1:9090' },
    ],
  },
  syscalls: { syscalls: ['openat', 'mount', 'ptrace', 'read'] },
  profiles: { profiles: ['ci-runner', 'default', 'strict'] },
  'label-values': { values: ['node-1:9090', 'node-2:9090'] },
};

export function instanceSettings(jsonData: Partial<ZVizOptions> = {}): DataSourceInstanceSettings<ZVizOptions> {
  return {
    uid: 'zviz',
    type: 'zviz-agent-datasource',
    name: 'ZViz',
    access: 'proxy',
    readOnly: false,
    jsonData: { prometheusUrl: 'http://prometheus:9090', ...jsonData },
    meta: { id: 'zviz-agent-datasource' } as DataSourceInstanceSettings['meta'],
  } as DataSourceInstanceSettings<ZVizOptions>;
}

/** The datasource, with getResource answering from `resources` and recording its calls. */
export function testDataSource(overrides: Partial<Record<keyof typeof resources, unknown>> = {}) {
  const ds = new ZVizDataSource(instanceSettings());
  const calls: Array<{ path: string; params?: unknown }> = [];
  ds.getResource = (async (path: string, params?: unknown) => {
    calls.push({ path, params });
    const key = path as keyof typeof resources;
    const answer = key in overrides ? overrides[key] : resources[key];
    if (answer instanceof Error) {
      throw answer;
    }
    if (answer === undefined) {
      throw new Error(`no resource ${path}`);
    }
    return answer;
  }) as ZVizDataSource['getResource'];
  return { ds, calls };
}
