// The `zviz` program: commander with exit codes and messages of our own.
// Usage errors print one line saying what is wrong, then the command's usage,
// and exit 2; --help and --version exit 0.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';

import { parseAddress } from '../config/address';
import { VERSION } from '../version';
import { CliExit, EXIT } from './exit';

/** A command module registers its command (and subcommands) on the program. */
export type CommandModule = (program: Command) => void;

function fullName(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) {
    names.unshift(c.name());
  }
  return names.join(' ');
}

function configureErrors(command: Command, stderr: (text: string) => void): void {
  command.configureOutput({
    writeErr: stderr,
    outputError: (message) => {
      const reason = message.trim().replace(/^error: /, '');
      stderr(
        `zviz: ${reason}\nUsage: ${fullName(command)} ${command.usage()}\n` +
          `Run '${fullName(command)} --help' for more.\n`
      );
    },
  });
  for (const sub of command.commands) {
    configureErrors(sub, stderr);
  }
}

export function buildProgram(
  modules: readonly CommandModule[],
  stderr = (t: string) => process.stderr.write(t)
): Command {
  const program = new Command('zviz')
    .description('ZViz node agent: syscall broker sandbox, eBPF tracer, Prometheus metrics, audit log')
    .version(VERSION, '-V, --version', 'print the version and exit')
    .helpOption('-h, --help', 'show help for the command')
    .exitOverride()
    .showSuggestionAfterError(true)
    // Options after a subcommand belong to it: `zviz metrics serve --config x`
    // must not hand --config to `metrics`. Also what `passThroughOptions()`
    // (for `zviz run -- CMD ARGS`) needs.
    .enablePositionalOptions();
  for (const register of modules) {
    register(program);
  }
  configureErrors(program, stderr);
  return program;
}

/** Runs the program; resolves with the exit code (long-running commands resolve when they end). */
export async function runProgram(
  program: Command,
  argv: readonly string[],
  stderr = (t: string) => process.stderr.write(t)
): Promise<number> {
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      const clean = ['commander.helpDisplayed', 'commander.help', 'commander.version'].includes(error.code);
      return clean ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof CliExit) {
      if (error.message) {
        stderr(`zviz: ${error.message}\n`);
      }
      for (const line of error.details) {
        stderr(`  ${line}\n`);
      }
      return error.code;
    }
    stderr(`zviz: ${(error as Error)?.stack ?? String(error)}\n`);
    return EXIT.failure;
  }
}

// ---- options shared by several commands ----

export function configOption(): Option {
  return new Option('-c, --config <file>', 'configuration file (default: $ZVIZ_CONFIG, else /etc/zviz/config.yaml)');
}

export function addrOption(description: string): Option {
  return new Option('--addr <host:port>', description).argParser((value: string) => {
    const parsed = parseAddress(value);
    if ('error' in parsed) {
      throw new InvalidArgumentError(parsed.error);
    }
    return value;
  });
}
