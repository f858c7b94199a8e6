// Logs as hclog JSON lines on stderr, which go-plugin (and so Grafana) parses
// into its own log with level, message, time and the remaining keys as
// fields. Any other stderr line would land in Grafana's log at debug level.

export type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error';

const RANK: Record<Level, number> = { trace: 0, debug: 1, info: 2, warn: 3, error: 4 };

export type Fields = Record<string, unknown>;

export interface Logger {
  trace(message: string, fields?: Fields): void;
  debug(message: string, fields?: Fields): void;
  info(message: string, fields?: Fields): void;
  warn(message: string, fields?: Fields): void;
  error(message: string, fields?: Fields): void;
  with(fields: Fields): Logger;
  enabled(level: Level): boolean;
}

/**
 * go-plugin parses `@timestamp` with exactly six fractional digits; any
 * other shape makes it drop the whole line to debug as unparsed text.
 */
export function hclogTimestamp(date = new Date()): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

function plain(value: unknown): unknown {
  if (value instanceof Error) {
    return value.message;
  }
  if (typeof value === 'bigint') {
    return value.toString();
  }
  return value;
}

export function parseLevel(text: string | undefined, fallback: Level): Level {
  const level = text?.trim().toLowerCase();
  if (level === 'warning') {
    return 'warn';
  }
  return level && level in RANK ? (level as Level) : fallback;
}

export function createLogger(
  options: { level?: Level; write?: (line: string) => void; fields?: Fields; module?: string } = {}
): Logger {
  const minimum = RANK[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const base = options.fields ?? {};

  const emit = (level: Level, message: string, fields?: Fields) => {
    if (RANK[level] < minimum) {
      return;
    }
    const entry: Record<string, unknown> = {
      '@level': level,
      '@message': message,
      '@timestamp': hclogTimestamp(),
    };
    if (options.module) {
      entry['@module'] = options.module;
    }
    for (const [key, value] of Object.entries({ ...base, ...fields })) {
      if (value !== undefined) {
        entry[key] = plain(value);
      }
    }
    write(`${JSON.stringify(entry)}\n`);
  };

  return {
    trace: (m, f) => emit('trace', m, f),
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    with: (fields) => createLogger({ ...options, fields: { ...base, ...fields } }),
    enabled: (level) => RANK[level] >= minimum,
  };
}

/**
 * Node prints its own warnings (MaxListenersExceededWarning, deprecations,
 * NODE_TLS_REJECT_UNAUTHORIZED) as plain text on stderr, which Grafana would
 * log as an unparsed line; they go through the logger instead, as hclog JSON.
 */
export function logProcessWarnings(logger: Logger): void {
  process.removeAllListeners('warning');
  process.on('warning', (warning: Error & { code?: string }) => {
    logger.warn(`node: ${warning.message}`, { warning: warning.name, code: warning.code });
  });
}
