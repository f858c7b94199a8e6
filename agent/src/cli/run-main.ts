// `zviz run` on its own: the entry of dist/zviz-run.js, the bundle
// bin/zviz.js starts when the first argument is `run`. It holds only what
// `zviz run` loads (main.ts's bundle holds every command: the agent's HTTP
// server, metrics, tracer and terminal UI), so a run reads and deserializes
// a fifth of the JavaScript. Same program, same messages and exit codes:
// main.ts with every command loads exactly this module for `zviz run`.
import { start } from './start';

start({ run: async () => (await import('./commands/run')).registerRun });
