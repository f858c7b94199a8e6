// The `zviz` command. Each command lives in commands/<name>.ts and registers
// itself on the program; add a command by adding its module to this list.
import { registerAgent } from './commands/agent';
import { registerHealth } from './commands/health';
import { registerMetrics } from './commands/metrics';
import { registerProfile } from './commands/profile';
import { registerRun } from './commands/run';
import { registerTop } from './commands/top';
import { buildProgram, runProgram, type CommandModule } from './program';

export const COMMANDS: readonly CommandModule[] = [
  registerAgent,
  registerRun,
  registerProfile,
  registerMetrics,
  registerHealth,
  registerTop,
];

void runProgram(buildProgram(COMMANDS), process.argv.slice(2)).then((code) => {
  // Long-running commands report their own end through process.exitCode.
  const exitCode = Math.max(code, Number(process.exitCode ?? 0));
  // Exit explicitly (timers of stopped components must not keep us alive),
  // once stdout has taken everything written to it.
  process.stdout.write('', () => process.exit(exitCode));
});
