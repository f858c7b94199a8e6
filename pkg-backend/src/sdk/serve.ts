// Runs a plugin the way Grafana's plugin host expects: checks the handshake
// environment, starts the gRPC server, prints the handshake line, and stops
// cleanly on SIGTERM/SIGINT, on go-plugin's Shutdown call, and when the host
// process dies (host.ts).
import { writeSync } from 'node:fs';

import { checkMagicCookie, handshakeLine, type Network, negotiateVersion } from './handshake';
import { watchHost } from './host';
import type { Logger } from './log';
import { prepareCodecs, protocolServices } from './protocol';
import { startPluginServer } from './server';
import { releaseStartupHeap } from './startup-heap';
import { queryDataMessage } from './services/data';
import type { BackendPlugin } from './types';
import { warmServerConnection } from './warm-server';

/**
 * The handshake line, written to file descriptor 1 itself: nothing else is
 * ever written to stdout, and making process.stdout (a stream over the pipe
 * from go-plugin) cost 3 to 4 ms of the start for this one line. Node writes
 * to pipes synchronously on Linux either way. Should the pipe refuse the write
 * (non-blocking and full), the stream takes it.
 */
function writeHandshake(line: string): void {
  try {
    writeSync(1, line);
  } catch {
    process.stdout.write(line);
  }
}

/**
 * The longest the handshake line waits for the warm-up, which runs before it
 * (warmUp() below): Grafana connects as soon as it reads the line and may ask
 * for data at once, and a query that comes while the warm-up runs waits for
 * it, so the warm-up is done first, at a cost of some 20 ms of start-up CPU
 * (docs/benchmarks.md). A warm-up that takes longer than this finishes after
 * the handshake.
 */
export const WARM_UP_LIMIT_MS = 1000;

/**
 * How long after the handshake (and the warm-up) the start-up heap release
 * waits (startup-heap.ts): its two collections should not meet a query that
 * Grafana sends as soon as it has connected.
 */
export const RELEASE_DELAY_MS = 500;

/**
 * Runs the plugin's warm-up and encodes its answer as QueryData's response
 * message, then makes one call over a connection of its own to the server
 * (warm-server.ts), logging what it cost; a failed warm-up is logged and
 * changes nothing else (the first query then pays for it, as it did before).
 */
export async function warmUp(plugin: BackendPlugin, logger: Logger, address: Network): Promise<void> {
  if (!plugin.warmUp) {
    return;
  }
  const started = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  let bytes: number;
  try {
    const response = await plugin.warmUp();
    if (!response) {
      logger.debug('query path warm-up skipped: a query came first');
      return;
    }
    bytes = protocolServices().data.QueryData.responseSerialize(queryDataMessage(response, false)).length;
    await warmServerConnection(address);
  } catch (error) {
    logger.warn('warming the query path failed', { error: error instanceof Error ? error.message : String(error) });
    return;
  }
  const used = process.cpuUsage(cpu);
  logger.debug('query path warmed', {
    ms: Math.round(Number(process.hrtime.bigint() - started) / 1e5) / 10,
    cpu_ms: Math.round((used.user + used.system) / 100) / 10,
    bytes,
  });
}

/** Resolves after `ms`, keeping nothing alive meanwhile. */
function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** Gives back what start-up and the warm-up left in V8's heap (startup-heap.ts), and logs it. */
async function releaseHeap(logger: Logger): Promise<void> {
  const before = process.memoryUsage.rss();
  const released = await releaseStartupHeap();
  const fine = released.flagsRestored && released.error === undefined;
  (fine ? logger.debug : logger.warn).call(logger, 'start-up heap released', {
    ...released,
    rss_mib_before: Math.round(before / 10485.76) / 100,
    rss_mib: Math.round(process.memoryUsage.rss() / 10485.76) / 100,
  });
}

export async function serve(
  plugin: BackendPlugin,
  logger: Logger,
  env: NodeJS.ProcessEnv = process.env,
  /** More fields for the start-up log line (how the executable started). */
  startup: Record<string, unknown> = {}
): Promise<void> {
  checkMagicCookie(env);
  const version = negotiateVersion(env);
  const server = await startPluginServer(plugin, { logger, env });

  let exiting = false;
  const shutdown = async (why: string) => {
    if (exiting) {
      return;
    }
    exiting = true;
    logger.debug('shutting down', { reason: why });
    await server.stop();
    try {
      await plugin.dispose?.();
    } catch (error) {
      logger.warn('releasing resources failed', { error });
    }
    process.exit(0);
  };

  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  void server.stopped.then(() => shutdown('the plugin host asked to shut down'));
  watchHost((why) => {
    logger.warn('the plugin host died without stopping the plugin; exiting', { reason: why });
    void shutdown(why);
  });

  const warming = warmUp(plugin, logger, server.address);
  await Promise.race([warming, delay(WARM_UP_LIMIT_MS)]);
  writeHandshake(handshakeLine(version, server.address));
  setImmediate(() => {
    void prepareCodecs();
    plugin.prepare?.();
  });
  void warming.then(() => delay(RELEASE_DELAY_MS)).then(() => releaseHeap(logger));
  logger.debug('plugin serving', {
    network: server.address.network,
    address: server.address.network === 'unix' ? server.address.path : `${server.address.host}:${server.address.port}`,
    protocol_version: version,
    startup_ms: Math.round(process.uptime() * 1000),
    ...startup,
  });
}
