import { zvizVitestConfig } from '../test/support/vitest-config';

export default zvizVitestConfig(__dirname, ['src/**/*.test.ts', 'test/**/*.test.ts']);
