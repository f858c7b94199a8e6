// The audit log file: one JSON record a line in the format of docs/agent.md
// (Audit log), written asynchronously from a bounded queue. The broker's path
// only ever enqueues: when the queue is full, events are dropped and counted,
// never waited for.
// The file is appended to (a restart continues it) and rotated by size and
// by UTC-aligned period; rotated files are gzipped when asked and deleted
// after the retention period. Written lines are in the kernel's page cache
// at once, so a crash of the agent loses at most what was still queued.
//
// When the disk is full or the file cannot be opened, the queue waits and
// the writer tries again after a short back-off (a quarter of a second,
// doubling to two): records are lost only when the queue overflows, and
// then counted. A write the disk cut short is either completed or cut back
// to the last whole record, whose successors stay queued, so the file never
// holds half a record and `written` counts only whole records on disk. An
// outage is logged once when it starts and once when it ends.
import type { AuditRecord } from '@zviz/shared/agent-api';
import { constants, createReadStream, createWriteStream } from 'node:fs';
import { open, readdir, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

import { directoryProblem, fileKind } from '../files/regular-file';
import { ensureDir } from '../log/dirs';
import type { FamilySamples, MetricSource } from '../metrics/source';

export interface AuditLogOptions {
  path: string;
  /** Rotate before the file would grow past this many bytes. */
  maxBytes: number;
  /** Rotate when the last write was in an earlier UTC-aligned period of this length; 0: size only. */
  rotateMs: number;
  /** Delete rotated files whose newest record is older than this; 0: keep them. */
  retentionMs: number;
  compress: boolean;
  /** Lines held for the writer; past this, events are dropped. */
  queueSize: number;
}

export interface AuditLogDeps {
  now?: () => number;
  /** An outage began (once per outage), or maintenance failed. */
  onError?: (message: string, error: unknown) => void;
  /** The file takes writes again after an outage. */
  onRecover?: (message: string, detail: { seconds: number; dropped: number; attempts: number }) => void;
}

/** Why the file cannot be written, while it cannot. */
export interface AuditOutage {
  /** One bounded line: what failed and the system's reason. */
  reason: string;
  /** Milliseconds since the epoch (on the writer's clock) when it began. */
  since: number;
  /** Failed attempts so far. */
  attempts: number;
  /** Whether the file was open when it began (a write failed), or never could be opened. */
  opened: boolean;
}

const APPEND_FLAGS =
  constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NONBLOCK | constants.O_NOCTTY;

/** Lines written in one write call, at most. */
const BATCH_LINES = 4096;
/** The first retry after a failed open or write; each failure doubles it, up to the cap. */
const RETRY_FIRST_MS = 250;
const RETRY_MAX_MS = 2000;
/** Longest error text kept for /health; an errno message is far shorter. */
const MAX_REASON_CHARS = 200;
/** Errors after which the open descriptor is still good: the next write may succeed. */
const KEEP_FILE_ON = new Set(['ENOSPC', 'EDQUOT']);

/** An error as one short line: its own message, never an earlier reason. */
function describeError(error: unknown): string {
  const message = (error as Error)?.message ?? String(error);
  const line = message.split('\n')[0];
  return line.length > MAX_REASON_CHARS ? `${line.slice(0, MAX_REASON_CHARS)}…` : line;
}

/** How many of `lines` lie whole within the first `bytes` bytes, and their size. */
function wholeLines(lines: readonly string[], bytes: number): { count: number; bytes: number } {
  let size = 0;
  let count = 0;
  for (const line of lines) {
    const next = size + Buffer.byteLength(line);
    if (next > bytes) {
      break;
    }
    size = next;
    count++;
  }
  return { count, bytes: size };
}

/** The line for one event: the documented fields in their order (docs/agent.md, Audit log), then the optional ones. */
export function auditLine(event: AuditRecord & { pid?: number; profile?: string; errno?: number }): string {
  const record: Record<string, unknown> = {
    timestamp: event.timestamp,
    event_type: event.event_type,
    container_id: event.container_id,
    syscall: event.syscall,
    args: event.args,
    decision: event.decision,
    latency_us: event.latency_us,
    layer: event.layer,
  };
  if (event.pid !== undefined) {
    record.pid = event.pid;
  }
  if (event.profile !== undefined) {
    record.profile = event.profile;
  }
  if (event.errno !== undefined) {
    record.errno = event.errno;
  }
  return `${JSON.stringify(record)}\n`;
}

/** `2024-01-15T10-30-00-123Z`: sortable, and legal in every file system. */
function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[:.]/g, '-');
}

function parseStamp(text: string): number {
  const m = /^(\d{4}-\d\d-\d\d)T(\d\d)-(\d\d)-(\d\d)-(\d{3})Z$/.exec(text);
  return m ? Date.parse(`${m[1]}T${m[2]}:${m[3]}:${m[4]}.${m[5]}Z`) : NaN;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export class AuditLog implements MetricSource {
  readonly families = ['zviz_audit_events_dropped_total', 'zviz_audit_write_errors_total'];
  private queue: string[] = [];
  private file: FileHandle | undefined;
  private size = 0;
  private lastWrite = 0;
  private writing: Promise<void> | undefined;
  private opening: Promise<void> | undefined;
  private maintenance: Promise<void> = Promise.resolve();
  private retryTimer: NodeJS.Timeout | undefined;
  private retryMs = RETRY_FIRST_MS;
  private current: (AuditOutage & { droppedBefore: number }) | undefined;
  /** The file ends in part of a record that could not be cut off: the next write starts a new line. */
  private torn = false;
  private closed = false;
  private readonly now: () => number;
  private readonly onError: NonNullable<AuditLogDeps['onError']>;
  private readonly onRecover: NonNullable<AuditLogDeps['onRecover']>;

  /** Whole records written, records dropped (queue full, or left when closing), failed file operations. */
  written = 0;
  dropped = 0;
  writeErrors = 0;
  /** Why rotated files could not be compressed or expired, until maintenance succeeds again. */
  maintenanceError: string | undefined;

  constructor(
    private options: AuditLogOptions,
    deps: AuditLogDeps = {}
  ) {
    this.now = deps.now ?? Date.now;
    this.onError = deps.onError ?? (() => undefined);
    this.onRecover = deps.onRecover ?? (() => undefined);
  }

  get path(): string {
    return this.options.path;
  }

  get queued(): number {
    return this.queue.length;
  }

  /** Why the file cannot be written, while it cannot; undefined when it can. */
  get outage(): AuditOutage | undefined {
    if (!this.current) {
      return undefined;
    }
    const { droppedBefore: _, ...outage } = this.current;
    return outage;
  }

  /** The outage's reason; kept for callers that only show it. */
  get lastError(): string | undefined {
    return this.current?.reason;
  }

  /**
   * Opens (creating the directory) and tidies rotated files. Throws if the
   * file cannot be opened; the writer keeps trying on its own, and events
   * wait in the queue meanwhile.
   */
  async open(): Promise<void> {
    this.closed = false;
    try {
      await this.ensureOpen();
    } catch (error) {
      this.failed(`cannot open ${this.options.path}`, error, false);
      throw new Error(this.current!.reason);
    }
    this.maintenance = this.maintenance.then(() => this.maintain());
    await this.maintenance;
  }

  /** Changes settings; a new path closes the current file and opens the new one (retrying as open() does). */
  async configure(options: AuditLogOptions): Promise<void> {
    const moved = options.path !== this.options.path;
    this.options = options;
    if (moved && !this.closed) {
      await this.flush();
      this.cancelRetry();
      await this.closeFile();
      this.torn = false;
      this.current = undefined;
      this.retryMs = RETRY_FIRST_MS;
      try {
        await this.openFile();
      } catch (error) {
        this.failed(`cannot open ${this.options.path}`, error, false);
        throw new Error(this.current!.reason);
      }
      this.kick();
    }
  }

  /**
   * Queues events for writing; drops (and counts) what does not fit. Never
   * waits. Returns how many were queued: the first ones; the rest were dropped.
   */
  enqueue(events: readonly AuditRecord[]): number {
    const room = this.options.queueSize - this.queue.length;
    const accepted = Math.max(0, Math.min(room, events.length));
    for (let i = 0; i < accepted; i++) {
      this.queue.push(auditLine(events[i]));
    }
    this.dropped += events.length - accepted;
    if (accepted > 0) {
      this.kick();
    }
    return accepted;
  }

  /** Resolves when the writer is idle: everything queued is written, or it waits for its next retry. */
  async flush(): Promise<void> {
    while (this.writing) {
      await this.writing;
    }
  }

  /**
   * Flushes, makes one last attempt if the file was failing, counts what is
   * still queued as dropped, closes the file and waits for compression and
   * retention to finish.
   */
  async close(): Promise<void> {
    await this.flush();
    if (this.current && !this.closed) {
      this.cancelRetry();
      this.writing = this.pump(false).finally(() => {
        this.writing = undefined;
      });
      await this.flush();
    }
    this.closed = true;
    this.cancelRetry();
    if (this.queue.length > 0) {
      const left = this.queue.length;
      this.dropped += left;
      this.queue = [];
      this.onError(`closing the audit log with ${left} events unwritten; counted as dropped`, this.current?.reason);
    }
    await this.closeFile();
    await this.maintenance;
  }

  /** Compresses leftover rotated files and deletes expired ones. */
  async maintain(): Promise<void> {
    try {
      const dir = dirname(this.options.path);
      const { base, ext } = this.nameParts();
      const pattern = new RegExp(
        `^${escapeRegExp(base)}-(\\d{4}-\\d\\d-\\d\\dT\\d\\d-\\d\\d-\\d\\d-\\d{3}Z)(?:-\\d+)?${escapeRegExp(ext)}(\\.gz)?$`
      );
      let failure: string | undefined;
      for (const name of await readdir(dir)) {
        const match = pattern.exec(name);
        if (!match) {
          continue;
        }
        const path = join(dir, name);
        const rotatedAt = parseStamp(match[1]);
        if (this.options.retentionMs > 0 && this.now() - rotatedAt > this.options.retentionMs) {
          await unlink(path);
        } else if (this.options.compress && !match[2]) {
          failure = (await this.compress(path)) ?? failure;
        }
      }
      this.maintenanceError = failure;
    } catch (error) {
      this.maintenanceFailed('audit log maintenance failed', error);
    }
  }

  collect(): Map<string, FamilySamples> {
    return new Map([
      ['zviz_audit_events_dropped_total', [{ labels: {}, value: this.dropped }]],
      ['zviz_audit_write_errors_total', [{ labels: {}, value: this.writeErrors }]],
    ]);
  }

  private nameParts(): { base: string; ext: string } {
    const ext = extname(this.options.path);
    return { base: basename(this.options.path, ext), ext };
  }

  /** One open at a time: open() and the writer may both find the file closed. */
  private ensureOpen(): Promise<void> {
    if (this.file) {
      return Promise.resolve();
    }
    this.opening ??= this.openFile().finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  private async openFile(): Promise<void> {
    await ensureDir(dirname(this.options.path));
    // Checked again now that the directory exists: a user who could change it
    // could put a link where the file, a rotated file or a .gz is written.
    const where = directoryProblem(this.options.path);
    if (where) {
      throw new Error(`${this.options.path} ${where}`);
    }
    // Non-blocking: a FIFO at the path must not hold a thread of the pool forever.
    const file = await open(this.options.path, APPEND_FLAGS, 0o640);
    const info = await file.stat();
    if (!info.isFile()) {
      await file.close();
      throw new Error(`${this.options.path} is ${fileKind(info)}; the audit log is written to a regular file only`);
    }
    this.file = file;
    this.size = info.size;
    this.lastWrite = info.size > 0 ? info.mtimeMs : this.now();
  }

  private async closeFile(): Promise<void> {
    const file = this.file;
    this.file = undefined;
    await file?.close().catch((error: unknown) => this.maintenanceFailed('closing the audit log failed', error));
  }

  /** Starts the writer unless it runs, waits for a retry, or is closed. */
  private kick(): void {
    if (!this.writing && !this.retryTimer && !this.closed) {
      this.writing = this.pump(true).finally(() => {
        this.writing = undefined;
      });
    }
  }

  private cancelRetry(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  /** Writes the queue batch by batch; on a failure, keeps what is unwritten queued and (if asked) schedules a retry. */
  private async pump(retry: boolean): Promise<void> {
    for (;;) {
      if (!this.file) {
        try {
          await this.ensureOpen();
        } catch (error) {
          this.failed(`cannot open ${this.options.path}`, error, false, retry);
          return;
        }
        if (this.queue.length === 0) {
          this.recovered();
        }
      }
      if (this.queue.length === 0) {
        return;
      }
      const lines = this.queue.slice(0, BATCH_LINES);
      const outcome = await this.writeLines(lines);
      // Only the front of the queue is taken here; enqueue() appends behind it meanwhile.
      this.queue.splice(0, outcome.lines);
      if (outcome.error !== undefined) {
        this.failed(`writing ${this.options.path} failed`, outcome.error, true, retry);
        return;
      }
      this.recovered();
    }
  }

  /** Writes whole lines; on an error, how many of them are whole in the file (the rest stay queued). */
  private async writeLines(lines: readonly string[]): Promise<{ lines: number; error?: unknown }> {
    const data = Buffer.from(lines.join(''));
    let done = 0;
    try {
      if (this.torn) {
        // End the fragment's line first, so it is one bad line and not two, and never rotated away unended.
        await writeAll(this.file!, Buffer.from('\n'));
        this.size += 1;
        this.torn = false;
      }
      if (this.dueForRotation(data.length)) {
        await this.rotate();
      }
      const file = this.file!;
      while (done < data.length) {
        const { bytesWritten } = await file.write(data, done, data.length - done);
        if (bytesWritten <= 0) {
          throw new Error('the file system took no bytes');
        }
        done += bytesWritten;
      }
    } catch (error) {
      const whole = wholeLines(lines, done);
      this.written += whole.count;
      this.size += whole.bytes;
      if (done > whole.bytes) {
        // Cut the half record off: its line stays queued and is written whole later.
        try {
          const file = this.file!;
          await file.truncate((await file.stat()).size - (done - whole.bytes));
        } catch {
          this.torn = true;
          this.size += done - whole.bytes;
        }
      }
      if (whole.count > 0) {
        this.lastWrite = this.now();
      }
      if (!KEEP_FILE_ON.has((error as NodeJS.ErrnoException)?.code ?? '')) {
        await this.closeFile();
      }
      return { lines: whole.count, error };
    }
    this.size += data.length;
    this.lastWrite = this.now();
    this.written += lines.length;
    return { lines: lines.length };
  }

  /** Records a failed attempt: counted, the outage remembered (logged when it begins), a retry scheduled. */
  private failed(what: string, error: unknown, opened: boolean, retry = true): void {
    this.writeErrors++;
    const full = `${what}: ${describeError(error)}`;
    const reason = full.length > MAX_REASON_CHARS + 50 ? `${full.slice(0, MAX_REASON_CHARS + 50)}…` : full;
    if (!this.current) {
      this.current = { reason, since: this.now(), attempts: 0, opened, droppedBefore: this.dropped };
      this.onError(
        `${what}; events wait in the queue (logging.audit.queue_size) and are dropped and counted past it`,
        error
      );
    }
    this.current.reason = reason;
    this.current.opened = opened;
    this.current.attempts++;
    if (retry && !this.closed) {
      this.cancelRetry();
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.kick();
      }, this.retryMs);
      this.retryTimer.unref();
      this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
    }
  }

  private recovered(): void {
    this.retryMs = RETRY_FIRST_MS;
    const outage = this.current;
    if (!outage) {
      return;
    }
    this.current = undefined;
    const seconds = Math.round((this.now() - outage.since) / 100) / 10;
    const dropped = this.dropped - outage.droppedBefore;
    this.onRecover(`the audit log takes writes again after ${seconds} s; ${dropped} events were dropped meanwhile`, {
      seconds,
      dropped,
      attempts: outage.attempts,
    });
  }

  private maintenanceFailed(message: string, error: unknown): void {
    this.writeErrors++;
    this.maintenanceError = `${message}: ${describeError(error)}`;
    this.onError(message, error);
  }

  private dueForRotation(incoming: number): boolean {
    if (this.size === 0) {
      return false;
    }
    if (this.size + incoming > this.options.maxBytes) {
      return true;
    }
    const period = this.options.rotateMs;
    return period > 0 && Math.floor(this.now() / period) !== Math.floor(this.lastWrite / period);
  }

  private async rotate(): Promise<void> {
    const dir = dirname(this.options.path);
    const { base, ext } = this.nameParts();
    const at = this.now();
    let target = join(dir, `${base}-${stamp(at)}${ext}`);
    for (let n = 1; await exists(target); n++) {
      target = join(dir, `${base}-${stamp(at)}-${n}${ext}`);
    }
    await this.closeFile();
    await rename(this.options.path, target);
    await this.openFile();
    this.maintenance = this.maintenance.then(() => this.maintain());
  }

  /** Gzips one rotated file; the reason when it could not. */
  private async compress(path: string): Promise<string | undefined> {
    const partial = `${path}.gz.partial`;
    try {
      await pipeline(createReadStream(path), createGzip(), createWriteStream(partial, { mode: 0o640 }));
      await rename(partial, `${path}.gz`);
      await unlink(path);
      return undefined;
    } catch (error) {
      await unlink(partial).catch(() => undefined);
      this.maintenanceFailed(`compressing ${path} failed`, error);
      return this.maintenanceError;
    }
  }
}

async function writeAll(file: FileHandle, data: Buffer): Promise<void> {
  for (let done = 0; done < data.length;) {
    done += (await file.write(data, done, data.length - done)).bytesWritten;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
