// Entry point of the gpx_zviz executable that Grafana starts.
import { createLogger, HandshakeError, lazyPlugin, logProcessWarnings, parseLevel, serve } from './sdk';

declare const __ZVIZ_VERSION__: string | undefined;
const version = typeof __ZVIZ_VERSION__ === 'string' ? __ZVIZ_VERSION__ : 'dev';

// Grafana filters plugin logs by its own level, as it does for Go plugins
// (which log at debug); ZVIZ_LOG_LEVEL lowers the volume at the source.
const logger = createLogger({ level: parseLevel(process.env.ZVIZ_LOG_LEVEL, 'debug'), fields: { version } });
logProcessWarnings(logger);

process.on('uncaughtException', (error) => {
  logger.error('uncaught exception; exiting so Grafana restarts the plugin', { error: error.stack ?? error.message });
  process.exit(1);
});
process.on('unhandledRejection', (reason) => {
  logger.error('unhandled rejection', {
    error: reason instanceof Error ? (reason.stack ?? reason.message) : String(reason),
  });
});

const plugin = lazyPlugin(
  [
    'queryData',
    'checkHealth',
    'collectMetrics',
    'callResource',
    'subscribeStream',
    'runStream',
    'publishStream',
    'dispose',
  ],
  async () => {
    // Loaded right after the handshake (see lazyPlugin): not on Grafana's clock.
    const { ZVizDatasource } = await import('./datasource/datasource');
    return new ZVizDatasource({ logger, version });
  }
);

serve(plugin, logger).catch((error: unknown) => {
  if (error instanceof HandshakeError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    logger.error('the plugin could not start', { error: error instanceof Error ? error.message : String(error) });
  }
  process.exit(1);
});
