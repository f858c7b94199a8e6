// What `zviz agent` and `zviz metrics serve` share: load the configuration
// (refusing a bad one with exit code 2 and every error), set up logging, run
// the agent until SIGTERM or SIGINT, reload on SIGHUP.
import { Agent, type ComponentFactory } from '../agent';
import { loadConfig } from '../assembly/load-config';
import type { LoadOptions } from '../config/load';
import { FileRefused } from '../files/regular-file';
import type { Config } from '../assembly/config-sections';
import { AgentLog } from '../log/logger';
import { CliExit, EXIT } from './exit';
import { refuseInspectorSignal } from './inspector-guard';

export interface ServeOptions {
  config?: string;
  addr?: string;
  components?: readonly ComponentFactory[];
}

export function loadOrRefuse(load: LoadOptions): Config {
  const loaded = loadConfig(load);
  if (!loaded.ok) {
    throw new CliExit(
      EXIT.usage,
      `configuration refused (${loaded.errors.length} error${loaded.errors.length === 1 ? '' : 's'}); nothing was started:`,
      loaded.errors
    );
  }
  return loaded.config;
}

export async function serve(options: ServeOptions): Promise<number> {
  const load: LoadOptions = { path: options.config, flags: { 'metrics.address': options.addr } };
  const config = loadOrRefuse(load);
  let log: AgentLog;
  try {
    log = AgentLog.create(config.logging);
  } catch (error) {
    const reason = error instanceof FileRefused ? error.reason : (error as Error).message;
    throw new CliExit(EXIT.usage, `logging.output: cannot open ${config.logging.output}: ${reason}`);
  }
  const logger = log.logger;
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error.stack ?? error.message }, 'uncaught exception; exiting');
    log.flush();
    process.exit(EXIT.failure);
  });
  process.on('unhandledRejection', (reason) => {
    logger.error({ err: (reason as Error)?.stack ?? String(reason) }, 'unhandled promise rejection');
  });

  // Signals are handled from before the server listens: a SIGTERM that
  // arrives while components start stops the agent once they have.
  let agent: Agent | undefined;
  let stopSignal: NodeJS.Signals | undefined;
  let finish: (code: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => (finish = resolve));
  const stop = (signal: NodeJS.Signals) => {
    if (stopSignal) {
      logger.warn({ signal }, 'second signal while stopping; exiting now');
      log.flush();
      process.exit(EXIT.failure);
    }
    stopSignal = signal;
    logger.info({ signal }, 'signal received');
    agent?.stop().then(
      () => finish(EXIT.ok),
      (error: Error) => {
        logger.error({ err: error.message }, 'stop failed');
        finish(EXIT.failure);
      }
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('SIGHUP', () => {
    logger.info({ signal: 'SIGHUP' }, 'reloading configuration');
    void agent?.reload();
  });
  // Never Node's inspector (cli/inspector-guard.ts); said once a minute at most, however many arrive.
  let lastSigusr1 = -Infinity;
  let sigusr1 = 0;
  refuseInspectorSignal(() => {
    sigusr1++;
    if (Date.now() - lastSigusr1 >= 60_000) {
      lastSigusr1 = Date.now();
      logger.warn(
        { signal: 'SIGUSR1', received: sigusr1 },
        "SIGUSR1 ignored: it never opens Node's inspector in the agent"
      );
    }
  });

  try {
    agent = await Agent.start({ config, load, log, components: options.components });
  } catch (error) {
    logger.fatal({ err: (error as Error).message }, 'agent failed to start');
    log.flush();
    throw new CliExit(EXIT.failure, `cannot start: ${(error as Error).message}`);
  }
  if (stopSignal) {
    await agent.stop();
    return EXIT.ok;
  }
  return done;
}
