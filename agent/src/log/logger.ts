// The agent's log, with pino, in the format of docs/agent.md (Logs): one JSON object a line
// with `timestamp`, `level`, `message` and the context fields components bind
// (`container_id`, `profile`, `pid`), or the same as one line of text.
//
// pino writes into a switch that forwards to the current sink, so a reload
// can change format and output without re-creating the loggers components
// hold. Everything is in-process streams (no worker-thread transports), so
// the bundled agent logs the same as in development.
import { closeSync } from 'node:fs';
import { dirname } from 'node:path';
import pino, { type Logger } from 'pino';
import { prettyFactory } from 'pino-pretty';

import type { LogLevel } from '../config/schema';
import { openOutputFile } from '../files/regular-file';
import { forTerminal, jsonForTerminal } from '../terminal/escape';
import type { FamilySamples, MetricSource } from '../metrics/source';
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

/**
 * Log text held while the output refuses writes (a full disk): it is written
 * when the output takes it again. Past this much, lines are dropped and
 * counted: the agent's memory does not grow with an outage.
 */
const MAX_PENDING_BYTES = 1024 * 1024;
/** What went wrong with the output, for /health and /metrics; never logged (that would write to it). */
interface OutputFaults {
  writeErrors: number;
  linesDropped: number;
  /** The last failed write's reason, until a write succeeds again. */
  lastError?: string;
}

/**
 * The output as a sonic-boom stream. A file is first opened here without
 * ever blocking and must be a regular file (regular-file.ts), so a FIFO or a
 * device at the path is refused with a reason; sonic-boom then opens it by
 * path, which lets reopen() keep the text still pending.
 */
function openDestination(output: string, faults: OutputFaults): SonicBoom {
  let destination: SonicBoom;
  if (output === 'stderr' || output === 'stdout') {
    destination = pino.destination({ fd: output === 'stderr' ? 2 : 1, sync: true, maxLength: MAX_PENDING_BYTES });
  } else {
    ensureDirSync(dirname(output));
    closeSync(openOutputFile(output));
    destination = pino.destination({ dest: output, sync: true, append: true, maxLength: MAX_PENDING_BYTES });
  }
  // A failed write keeps its text for the next attempt (sonic-boom retries it
  // with the next line, short writes included); an error must not reach the
  // process as an uncaught exception.
  destination.on('error', (error: Error) => {
    faults.writeErrors++;
    faults.lastError = error.message;
  });
  destination.on('write', () => {
    faults.lastError = undefined;
  });
  destination.on('drop', () => {
    faults.linesDropped++;
  });
  return destination;
}

function closeDestination(destination: SonicBoom, output: string): void {
  try {
    destination.flushSync();
  } catch {
    // A full disk: what is still pending is lost with the old descriptor.
  }
  if (output !== 'stderr' && output !== 'stdout') {
    destination.end();
  }
}

export class AgentLog {
  readonly logger: Logger;
  private options: LogOptions;
  private destination: SonicBoom;
  private sink: LineSink;
  private readonly children = new Set<WeakRef<Logger>>();
  private readonly faults: OutputFaults = { writeErrors: 0, linesDropped: 0 };

  private constructor(options: LogOptions) {
    this.options = options;
    this.destination = openDestination(options.output, this.faults);
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
      this.replaceDestination(options.output, options.format);
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
    const output = this.options.output;
    if (output !== 'stderr' && output !== 'stdout') {
      // Checked again: what logrotate left at the path must still be a file.
      closeSync(openOutputFile(output));
      this.destination.reopen();
    }
  }

  /** The output's faults as metric families (zviz_log_*). */
  metricSource(): MetricSource {
    return {
      families: ['zviz_log_write_errors_total', 'zviz_log_lines_dropped_total'],
      collect: () =>
        new Map<string, FamilySamples>([
          ['zviz_log_write_errors_total', [{ labels: {}, value: this.faults.writeErrors }]],
          ['zviz_log_lines_dropped_total', [{ labels: {}, value: this.faults.linesDropped }]],
        ]),
    };
  }

  /** Why the log cannot be written, from a failed write until one succeeds again; else undefined. */
  failing(): string | undefined {
    const last = this.faults.lastError;
    if (last === undefined) {
      return undefined;
    }
    const dropped = this.faults.linesDropped > 0 ? `; ${this.faults.linesDropped} lines dropped so far` : '';
    return `writing ${this.options.output} failed: ${last}${dropped}`;
  }

  /** Opens the new output first, so a bad one throws and the old one stays. */
  private replaceDestination(output: string, format: LogOptions['format']): void {
    const destination = openDestination(output, this.faults);
    const old = this.destination;
    const oldOutput = this.options.output;
    this.destination = destination;
    this.sink = this.makeSink(format, destination);
    closeDestination(old, oldOutput);
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
    // Log lines quote workloads (commands, paths, names). JSON escapes control
    // characters but not DEL, C1 or bidirectional overrides; text escapes none.
    // Both are made safe for whoever tails the log in a terminal.
    if (format === 'json') {
      return { write: (line: string) => destination.write(jsonForTerminal(line)) };
    }
    // pino-pretty's formatting, called in line, not its stream: a stream
    // piped to the destination would be torn down by the first failed write.
    const prettify = prettyFactory({
      colorize: false,
      messageKey: 'message',
      timestampKey: 'timestamp',
      translateTime: false,
      singleLine: true,
    });
    return {
      write: (line: string) => {
        // pino-pretty shows the message as it is and the other fields as
        // JSON, whose escapes leave out DEL, C1 and bidirectional controls.
        const record = JSON.parse(line) as { message?: unknown };
        if (typeof record.message === 'string') {
          record.message = forTerminal(record.message);
        }
        return destination.write(jsonForTerminal(prettify(record)));
      },
    };
  }
}

/** A logger that drops everything, for tests and one-shot commands. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
