import { mergeConfig } from 'vitest/config';

import { zvizVitestConfig } from '../test/support/vitest-config';

export default mergeConfig(zvizVitestConfig(__dirname, ['src/**/*.test.ts', 'test/**/*.test.ts']), {
  test: { globalSetup: ['test/global-setup.ts'] },
});
