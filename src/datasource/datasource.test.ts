import { CoreApp, type DataQueryRequest, LiveChannelScope } from '@grafana/data';
import { lastValueFrom, of } from 'rxjs';

import type { ZVizQuery } from '@zviz/shared/query';
import { ZVizVariableSupport } from './datasource';
import { testDataSource } from '../../test/support/frontend/datasource';
import type { ZVizVariableQuery } from './types';

const liveGetDataStream = jest.fn();
const variables: Record<string, string[]> = { syscall: ['openat', 'mount'], instance: ['node-1:9090'] };

jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getGrafanaLiveSrv: () => ({ getDataStream: liveGetDataStream }),
  getTemplateSrv: () => ({
    getVariables: () => [],
    replace: (target: string, _scoped: unknown, format?: string) =>
      target.replace(/\$(\w+)/g, (m, name) => {
        const values = variables[name];
        if (!values) {
          return m;
        }
        return format === 'csv' ? values.join(',') : values.length > 1 ? `{${values.join(',')}}` : values[0];
      }),
  }),
}));

describe('ZVizDataSource', () => {
  it('starts new queries as decision counts', () => {
    expect(testDataSource().ds.getDefaultQuery(CoreApp.PanelEditor)).toEqual({ queryType: 'decisions', mode: 'count' });
  });

  it('skips hidden queries and empty PromQL', () => {
    const { ds } = testDataSource();
    expect(ds.filterQuery({ refId: 'A', queryType: 'promql', expr: ' ' })).toBe(false);
    expect(ds.filterQuery({ refId: 'A', queryType: 'promql', expr: 'up' })).toBe(true);
    expect(ds.filterQuery({ refId: 'A', queryType: 'decisions', hide: true })).toBe(false);
    expect(ds.filterQuery({ refId: 'A', queryType: 'health' })).toBe(true);
  });

  it('expands multi-value variables in syscall lists and replaces them in text fields', () => {
    const { ds } = testDataSource();
    const q = ds.applyTemplateVariables(
      { refId: 'A', queryType: 'decisions', syscalls: ['$syscall', 'ptrace'], selector: 'instance="$instance"' },
      {}
    );
    expect(q).toMatchObject({ syscalls: ['openat', 'mount', 'ptrace'], selector: 'instance="node-1:9090"' });
    const audit = ds.applyTemplateVariables(
      { refId: 'A', queryType: 'audit', agent: '$instance', syscall: 'read' },
      {}
    );
    expect(audit).toMatchObject({ agent: 'node-1:9090', syscall: 'read' });
    const promql = ds.applyTemplateVariables(
      { refId: 'A', queryType: 'promql', expr: 'up{instance="$instance"}' } as ZVizQuery,
      {}
    );
    expect(promql).toMatchObject({ expr: 'up{instance="node-1:9090"}' });
  });

  it('subscribes to the decisions stream of its own uid', () => {
    const { ds } = testDataSource();
    liveGetDataStream.mockReturnValue(of({ data: [] }));
    ds.decisionsStream('ci-42');
    expect(liveGetDataStream).toHaveBeenCalledWith({
      addr: { scope: LiveChannelScope.DataSource, stream: 'zviz', path: 'decisions/ci-42' },
    });
  });

  it.each<[ZVizVariableQuery, string[], { path: string; params?: unknown }]>([
    [{ refId: 'v', kind: 'agents' }, ['node-1:9090', 'node-2:9090'], { path: 'agents' }],
    [
      { refId: 'v', kind: 'containers', agent: '$instance' },
      ['ci-42', 'ci-43'],
      { path: 'containers', params: { agent: 'node-1:9090' } },
    ],
    [{ refId: 'v', kind: 'syscalls', regex: '^m' }, ['mount'], { path: 'syscalls' }],
    [{ refId: 'v', kind: 'profiles' }, ['ci-runner', 'default', 'strict'], { path: 'profiles' }],
    [
      { refId: 'v', kind: 'label-values', label: 'instance', match: 'zviz_build_info' },
      ['node-1:9090', 'node-2:9090'],
      { path: 'label-values', params: { label: 'instance', match: 'zviz_build_info' } },
    ],
  ])('lists variable values for %j', async (query, values, call) => {
    const { ds, calls } = testDataSource();
    const request = { targets: [query], scopedVars: {} } as unknown as DataQueryRequest<ZVizVariableQuery>;
    const response = await lastValueFrom(new ZVizVariableSupport(ds).query(request));
    expect(response.data[0].fields[0].values).toEqual(values);
    expect(calls).toEqual([call]);
  });

  it('asks for a label before listing label values', async () => {
    const { ds } = testDataSource();
    await expect(ds.variableValues({ refId: 'v', kind: 'label-values' })).rejects.toThrow(
      /Choose the Prometheus label/
    );
  });
});
