// The tests of the workspace packages (@zviz/shared, @zviz/agent-client): the
// `packages` runner of `npm test`.
import { zvizVitestConfig } from '../test/support/vitest-config';

export default zvizVitestConfig(__dirname, ['*/src/**/*.test.ts']);
