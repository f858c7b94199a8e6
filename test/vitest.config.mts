import { zvizVitestConfig } from './support/vitest-config';

export default zvizVitestConfig(__dirname, ['**/*.test.ts', '../scripts/**/*.test.ts']);
