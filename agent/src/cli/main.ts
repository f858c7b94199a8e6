// The `zviz` command. Each command lives in commands/<name>.ts and registers
// itself on the program; add a command by adding its module to this table.
//
// Only the command named on the command line is loaded (the bundle keeps
// each command's module graph lazy behind its import()): `zviz run` must not
// pay for the agent's HTTP server, metrics registry and tracer at every
// start. `zviz`, `zviz --help` and anything unknown load them all, so help
// and "did you mean" see every command.
import { closeInspectorOpenedBySignal, refuseInspectorSignal } from './inspector-guard';
import { buildProgram, runProgram, type CommandModule } from './program';

export const COMMANDS: Readonly<Record<string, () => Promise<CommandModule>>> = {
  agent: async () => (await import('./commands/agent')).registerAgent,
  run: async () => (await import('./commands/run')).registerRun,
  profile: async () => (await import('./commands/profile')).registerProfile,
  metrics: async () => (await import('./commands/metrics')).registerMetrics,
  health: async () => (await import('./commands/health')).registerHealth,
  top: async () => (await import('./commands/top')).registerTop,
};

/** The modules `args` needs: its command's, none for the version, or all of them. */
export function commandsFor(args: readonly string[]): Array<() => Promise<CommandModule>> {
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
    return [];
  }
  const named = COMMANDS[args[0] ?? ''];
  return named ? [named] : Object.values(COMMANDS);
}

async function main(args: string[]): Promise<number> {
  refuseInspectorSignal();
  const warn = (message: string) => process.stderr.write(`zviz: ${message}\n`);
  closeInspectorOpenedBySignal(warn);
  // A SIGUSR1 of Node's bootstrap may still be on its way to the main thread.
  setImmediate(() => closeInspectorOpenedBySignal(warn));
  const modules = await Promise.all(commandsFor(args).map((load) => load()));
  return runProgram(buildProgram(modules), args);
}

void main(process.argv.slice(2)).then((code) => {
  // Long-running commands report their own end through process.exitCode.
  const exitCode = Math.max(code, Number(process.exitCode ?? 0));
  // Exit explicitly (timers of stopped components must not keep us alive),
  // once stdout has taken everything written to it.
  process.stdout.write('', () => process.exit(exitCode));
});
