// Entry point of the gpx_zviz executable that Grafana starts.
//
// Everything loads before the handshake line (from the V8 code cache in the
// executable): the handlers, Arrow and the parsed protocol are ready when
// Grafana's first call arrives. Loading them after the handshake made that
// first call wait for them instead (docs/benchmarks.md has both figures).
import { ZVizDatasource } from './datasource/datasource';
import { createLogger, HandshakeError, logProcessWarnings, parseLevel, serve } from './sdk';

declare const __ZVIZ_VERSION__: string | undefined;
const version = typeof __ZVIZ_VERSION__ === 'string' ? __ZVIZ_VERSION__ : 'dev';
// Set by scripts/sea-main.cjs: whether V8 took the executable's code cache.
const codeCache = (globalThis as { __zvizCodeCache?: string }).__zvizCodeCache ?? 'none';

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

serve(new ZVizDatasource({ logger, version }), logger, process.env, { code_cache: codeCache }).catch(
  (error: unknown) => {
    if (error instanceof HandshakeError) {
      process.stderr.write(`${error.message}\n`);
    } else {
      logger.error('the plugin could not start', { error: error instanceof Error ? error.message : String(error) });
    }
    process.exit(1);
  }
);
