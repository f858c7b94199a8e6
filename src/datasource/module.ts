import { DataSourcePlugin, type DataSourceJsonData } from '@grafana/data';
import { DataSourceWithBackend } from '@grafana/runtime';

import type { ZVizDataSourceOptions, ZVizQuery } from '../shared/query';

type Options = ZVizDataSourceOptions & DataSourceJsonData;

// Placeholder until the datasource editors land; the backend does the work.
export const plugin = new DataSourcePlugin<DataSourceWithBackend<ZVizQuery, Options>, ZVizQuery, Options>(
  DataSourceWithBackend
);
