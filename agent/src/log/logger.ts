// The agent's log, with pino, in seed 000's format: one JSON object a line
// with `timestamp`, `level`, `message` and the context fields components bind
// (`container_id`, `profile`, `pid`), or the same as one line of text.
//
// pino writes into a switch that forwards to the current sink, so a reload
// can change format and output without re-creating the loggers components
// hold. Everything is in-process streams (no worker-thread transports), so
// the bundled agent logs the same as in development.
import { closeSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

import type { LogLevel } from '../config/schema';
import { ensureDirSync } from './dirs';

export type { Logger } from 'pino';

export interface LogOptions {
  level: LogLevel;
  format: 'text' | 'json';
  /** `stderr`, `stdout` or a file path. */
  output: string;
}

/** Anything pino can write a line to. */
interface LineSink {
  write(line: string): unknown;
}

type SonicBoom = ReturnType<typeof pino.destination>;

function openDestination(output: string): SonicBoom {
  if (output === 'stderr' || output === 'stdout') {
    return pino.destination({ dest: output === 'stderr' ? 2 : 1, sync: true });
  }
  // Open once synchronously so a bad path is reported now, with its reason,
  // instead of as an asynchronous stream error.
  ensureDirSync(dirname(output));
  closeSync(openSync(output, 'a', 0o640));
  return pino.destination({ dest: output, sync: true, append: true });
}

export class AgentLog {
  readonly logger: Logger;
  private options: LogOptions;
  private destination: SonicBoom;
  private sink: LineSink;
  private readonly children = new Set<WeakRef<Logger>>();

  private constructor(options: LogOptions) {
    this.options = options;
    this.destination = openDestination(options.output);
    this.sink = this.makeSink(options.format, this.destination);
    const forward: LineSink = { write: (line: string) => this.sink.write(line) };
    this.logger = pino(
      {
        level: options.level,
        messageKey: 'message',
        base: undefined,
        timestamp: () => `,"timestamp":"${new Date().toISOString()}"`,
        formatters: { level: (label) => ({ level: label }) },
        onChild: (child) => {
          this.children.add(new WeakRef(child));
        },
      },
      forward
    );
  }

  /** Throws with the reason (an unwritable output path) so the caller can refuse to start. */
  static create(options: LogOptions): AgentLog {
    return new AgentLog(options);
  }

  get current(): LogOptions {
    return this.options;
  }

  /** Applies a reloaded logging block; throws (and keeps the old sink) if the new output cannot be opened. */
  reconfigure(options: LogOptions): void {
    if (options.output !== this.options.output) {
      const destination = openDestination(options.output);
      const old = this.destination;
      this.destination = destination;
      this.sink = this.makeSink(options.format, destination);
      old.flushSync();
      old.end();
    } else if (options.format !== this.options.format) {
      this.sink = this.makeSink(options.format, this.destination);
    }
    if (options.level !== this.options.level) {
      this.setLevel(options.level);
    }
    this.options = options;
  }

  /** After logrotate moved the file: start a new one at the same path. */
  reopen(): void {
    if (this.options.output !== 'stderr' && this.options.output !== 'stdout') {
      this.destination.reopen();
    }
  }

  flush(): void {
    try {
      this.destination.flushSync();
    } catch {
      // Nothing buffered, or the fd is already gone at exit.
    }
  }

  private setLevel(level: LogLevel): void {
    this.logger.level = level;
    for (const ref of this.children) {
      const child = ref.deref();
      if (child) {
        child.level = level;
      } else {
        this.children.delete(ref);
      }
    }
  }

  private makeSink(format: LogOptions['format'], destination: SonicBoom): LineSink {
    if (format === 'json') {
      return destination;
    }
    return pretty({
      colorize: false,
      destination,
      messageKey: 'message',
      timestampKey: 'timestamp',
      translateTime: false,
      singleLine: true,
      sync: true,
    });
  }
}

/** A logger that drops everything, for tests and one-shot commands. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
