// The dashboards ZViz ships (src/dashboards/*.json), read from the repository.
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

import type { DashboardJson } from './targets';

export const DASHBOARDS_DIR = join(__dirname, '..', '..', '..', '..', 'src', 'dashboards');

export function bundledDashboards(): Array<{ name: string; dashboard: DashboardJson }> {
  return readdirSync(DASHBOARDS_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({
      name: basename(f, '.json'),
      dashboard: JSON.parse(readFileSync(join(DASHBOARDS_DIR, f), 'utf8')) as DashboardJson,
    }));
}
