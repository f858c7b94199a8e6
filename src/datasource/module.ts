import { DataSourcePlugin } from '@grafana/data';

import type { ZVizQuery } from '@zviz/shared/query';
import { ConfigEditor } from './components/ConfigEditor';
import { QueryEditor } from './components/QueryEditor/QueryEditor';
import { ZVizDataSource } from './datasource';
import type { ZVizOptions } from './types';

// No dynamic import() here: a nested plugin's lazy chunks would be requested
// from the wrong public path.
export const plugin = new DataSourcePlugin<ZVizDataSource, ZVizQuery, ZVizOptions>(ZVizDataSource)
  .setConfigEditor(ConfigEditor)
  .setQueryEditor(QueryEditor);
