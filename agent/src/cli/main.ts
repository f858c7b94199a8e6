// The `zviz` command. Each command lives in commands/<name>.ts and registers
// itself on the program; add a command by adding its module to this table
// (start.ts loads only the one named on the command line).
import { start, type CommandTable } from './start';

export const COMMANDS: CommandTable = {
  agent: async () => (await import('./commands/agent')).registerAgent,
  run: async () => (await import('./commands/run')).registerRun,
  profile: async () => (await import('./commands/profile')).registerProfile,
  metrics: async () => (await import('./commands/metrics')).registerMetrics,
  health: async () => (await import('./commands/health')).registerHealth,
  top: async () => (await import('./commands/top')).registerTop,
};

start(COMMANDS);
