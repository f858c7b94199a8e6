// A real ZViz datasource instance for editor and datasource tests, with its
// backend resources answered from the fixtures.
import type { DataSourceInstanceSettings } from '@grafana/data';

import { ZVizDataSource } from '../../../src/datasource/datasource';
import type { ZVizOptions } from '../../../src/datasource/types';
import { resources } from './resources';

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
