import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { buildHarness } from './harness/build';

const dist = join(__dirname, '..', '..', 'dist');

export default async function globalSetup() {
  for (const module of ['datasource/module.js', 'panels/decisions/module.js']) {
    if (!existsSync(join(dist, module))) {
      throw new Error(`dist/${module} is missing: run \`npm run build:frontend\` first (npm test builds it)`);
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'zviz-harness-'));
  await buildHarness(dir);
  process.env.ZVIZ_HARNESS_DIR = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
