// The audit log file: one JSON record a line in seed 000's format, written
// asynchronously from a bounded queue. The broker's path only ever enqueues:
// when the queue is full, events are dropped and counted, never waited for.
// The file is appended to (a restart continues it) and rotated by size and
// by UTC-aligned period; rotated files are gzipped when asked and deleted
// after the retention period. Written lines are in the kernel's page cache
// at once, so a crash of the agent loses at most what was still queued.
import type { AuditRecord } from '@zviz/shared/agent-api';
import { constants, createReadStream, createWriteStream } from 'node:fs';
import { open, readdir, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

import { fileKind } from '../files/regular-file';
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
  onError?: (message: string, error: unknown) => void;
}

const APPEND_FLAGS =
  constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NONBLOCK | constants.O_NOCTTY;

/** Lines written in one write call, at most. */
const BATCH_LINES = 4096;
/** After a failed open, how long to drop events before trying again. */
const REOPEN_BACKOFF_MS = 5000;

/** The line for one event: seed 000's fields in its order, then the optional ones. */
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
  private maintenance: Promise<void> = Promise.resolve();
  private reopenAfter = 0;
  private closed = false;
  private readonly now: () => number;
  private readonly onError: (message: string, error: unknown) => void;

  /** Events accepted into the queue and written, dropped, and failed file operations. */
  written = 0;
  dropped = 0;
  writeErrors = 0;
  /** Why the file cannot be written, while it cannot. */
  lastError: string | undefined;

  constructor(
    private options: AuditLogOptions,
    deps: AuditLogDeps = {}
  ) {
    this.now = deps.now ?? Date.now;
    this.onError = deps.onError ?? (() => undefined);
  }

  get path(): string {
    return this.options.path;
  }

  get queued(): number {
    return this.queue.length;
  }

  /** Opens (creating the directory) and tidies rotated files; throws if the file cannot be opened. */
  async open(): Promise<void> {
    this.closed = false;
    await this.openFile();
    this.maintenance = this.maintenance.then(() => this.maintain());
    await this.maintenance;
  }

  /** Changes settings; a new path closes the current file and opens the new one. */
  async configure(options: AuditLogOptions): Promise<void> {
    const moved = options.path !== this.options.path;
    this.options = options;
    if (moved && this.file && !this.closed) {
      await this.writing;
      await this.closeFile();
      await this.openFile();
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
    if (accepted > 0 && !this.writing && !this.closed) {
      this.writing = this.pump().finally(() => {
        this.writing = undefined;
      });
    }
    return accepted;
  }

  /** Resolves when everything queued so far is written (or dropped). */
  async flush(): Promise<void> {
    while (this.writing) {
      await this.writing;
    }
  }

  /** Flushes, closes the file and waits for compression and retention to finish. */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
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
          await this.compress(path);
        }
      }
    } catch (error) {
      this.fail('audit log maintenance failed', error);
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

  private async openFile(): Promise<void> {
    await ensureDir(dirname(this.options.path));
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
    this.lastError = undefined;
  }

  private async closeFile(): Promise<void> {
    const file = this.file;
    this.file = undefined;
    await file?.close().catch((error: unknown) => this.fail('closing the audit log failed', error));
  }

  private async pump(): Promise<void> {
    while (this.queue.length > 0) {
      const lines = this.queue.length <= BATCH_LINES ? this.queue : this.queue.slice(0, BATCH_LINES);
      this.queue = this.queue.length <= BATCH_LINES ? [] : this.queue.slice(BATCH_LINES);
      const data = Buffer.from(lines.join(''));
      try {
        if (!this.file) {
          if (this.now() < this.reopenAfter) {
            throw new Error(this.lastError ?? 'audit log is not open');
          }
          await this.openFile();
        }
        if (this.dueForRotation(data.length)) {
          await this.rotate();
        }
        await this.file!.write(data);
        this.size += data.length;
        this.lastWrite = this.now();
        this.written += lines.length;
      } catch (error) {
        this.dropped += lines.length;
        this.fail('writing the audit log failed; events dropped', error);
        if (this.file) {
          await this.closeFile();
        }
        this.reopenAfter = this.now() + REOPEN_BACKOFF_MS;
      }
    }
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

  private async compress(path: string): Promise<void> {
    const partial = `${path}.gz.partial`;
    try {
      await pipeline(createReadStream(path), createGzip(), createWriteStream(partial, { mode: 0o640 }));
      await rename(partial, `${path}.gz`);
      await unlink(path);
    } catch (error) {
      await unlink(partial).catch(() => undefined);
      this.fail(`compressing ${path} failed`, error);
    }
  }

  private fail(message: string, error: unknown): void {
    this.writeErrors++;
    this.lastError = `${message}: ${(error as Error)?.message ?? String(error)}`;
    this.onError(message, error);
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
