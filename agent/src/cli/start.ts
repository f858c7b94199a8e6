// Starting the `zviz` program from a table of command modules: main.ts has
// every command, run-main.ts (the small bundle bin/zviz.js starts for
// `zviz run`) only `run`.
//
// Only the command named on the command line is loaded (the bundle keeps
// each command's module graph lazy behind its import()): `zviz run` must not
// pay for the agent's HTTP server, metrics registry and tracer at every
// start. `zviz`, `zviz --help` and anything unknown load them all, so help
// and "did you mean" see every command.
import { closeInspectorOpenedBySignal, refuseInspectorSignal } from './inspector-guard';
import { buildProgram, runProgram, type CommandModule } from './program';

export type CommandTable = Readonly<Record<string, () => Promise<CommandModule>>>;

/** The modules `args` needs: its command's, none for the version, or all of them. */
export function commandsFor(commands: CommandTable, args: readonly string[]): Array<() => Promise<CommandModule>> {
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
    return [];
  }
  const named = Object.hasOwn(commands, args[0] ?? '') ? commands[args[0]] : undefined;
  return named ? [named] : Object.values(commands);
}

async function main(commands: CommandTable, args: string[]): Promise<number> {
  refuseInspectorSignal();
  const warn = (message: string) => process.stderr.write(`zviz: ${message}\n`);
  closeInspectorOpenedBySignal(warn);
  // A SIGUSR1 of Node's bootstrap may still be on its way to the main thread.
  setImmediate(() => closeInspectorOpenedBySignal(warn));
  const modules = await Promise.all(commandsFor(commands, args).map((load) => load()));
  return runProgram(buildProgram(modules), args);
}

/** Runs the program on this process's arguments and exits with its code. */
export function start(commands: CommandTable): void {
  void main(commands, process.argv.slice(2)).then((code) => {
    // Long-running commands report their own end through process.exitCode.
    const exitCode = Math.max(code, Number(process.exitCode ?? 0));
    // Exit explicitly (timers of stopped components must not keep us alive),
    // once stdout has taken everything written to it.
    process.stdout.write('', () => process.exit(exitCode));
  });
}
