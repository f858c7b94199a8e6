// Runs a plugin the way Grafana's plugin host expects: checks the handshake
// environment, starts the gRPC server, prints the handshake line, and stops
// cleanly on SIGTERM/SIGINT, on go-plugin's Shutdown call, and when stdin
// closes.
import { fstatSync } from 'node:fs';

import { loadArrow } from './convert';
import { checkMagicCookie, handshakeLine, negotiateVersion } from './handshake';
import type { Logger } from './log';
import { startPluginServer } from './server';
import type { BackendPlugin } from './types';

/**
 * go-plugin hands the host's own stdin to the plugin. Under systemd or in a
 * container that is /dev/null or a terminal, whose end says nothing; only a
 * pipe or socket closing means the host went away.
 */
function stdinIsHostPipe(): boolean {
  try {
    const stat = fstatSync(0);
    return stat.isFIFO() || stat.isSocket();
  } catch {
    return false;
  }
}

export async function serve(
  plugin: BackendPlugin,
  logger: Logger,
  env: NodeJS.ProcessEnv = process.env
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
  if (stdinIsHostPipe()) {
    process.stdin.on('end', () => void shutdown('stdin closed: the plugin host is gone'));
    process.stdin.on('error', () => void shutdown('stdin failed: the plugin host is gone'));
    process.stdin.resume();
  }

  process.stdout.write(handshakeLine(version, server.address));
  setImmediate(() => {
    plugin.prepare?.();
    void loadArrow();
  });
  logger.debug('plugin serving', {
    network: server.address.network,
    address: server.address.network === 'unix' ? server.address.path : `${server.address.host}:${server.address.port}`,
    protocol_version: version,
    startup_ms: Math.round(process.uptime() * 1000),
  });
}
