import { join } from 'node:path';

import { zvizVitestConfig } from './support/vitest-config';

export default zvizVitestConfig(
  __dirname,
  ['**/*.test.ts', '../scripts/**/*.test.ts'],
  [join(__dirname, 'security/global-setup.ts')]
);
