// The audit log as an agent component: subscribes the writer to the event
// hub, keeps retention running, follows reloads, and flushes on stop.
import type { ComponentHealth } from '@zviz/shared/agent-api';

import type { AgentContext } from '../agent-context';
import type { Component } from '../component';
import type { AuditConfig, CoreConfig } from '../config/schema';
import { DEGRADED_WINDOW_MS } from '../events/loss';
import { AuditLog, type AuditLogOptions } from './writer';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export function auditOptions(config: AuditConfig): AuditLogOptions {
  return {
    path: config.path,
    maxBytes: Math.round(config.max_size_mb * 1024 * 1024),
    rotateMs: config.rotate_hours * HOUR_MS,
    retentionMs: config.retention_days * DAY_MS,
    compress: config.compress,
    queueSize: config.queue_size,
  };
}

export class AuditComponent implements Component {
  readonly name = 'audit';
  readonly required = false;
  private writer: AuditLog | undefined;
  private unsubscribe: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private enabled: boolean;
  /** Dropped events as last seen by health(), and when they last grew. */
  private droppedSeen = 0;
  private dropStart: number | undefined;
  private lastDropAt = -Infinity;

  constructor(private readonly ctx: AgentContext) {
    this.enabled = ctx.config.logging.audit.enabled;
  }

  async start(): Promise<void> {
    if (this.enabled) {
      await this.open(this.ctx.config.logging.audit);
    }
  }

  async stop(): Promise<void> {
    await this.close();
  }

  async reload(config: CoreConfig): Promise<void> {
    const audit = config.logging.audit;
    if (!audit.enabled) {
      this.enabled = false;
      await this.close();
      return;
    }
    this.enabled = true;
    if (this.writer && this.unsubscribe) {
      await this.writer.configure(auditOptions(audit));
    } else {
      await this.open(audit);
    }
  }

  health(): ComponentHealth {
    if (!this.enabled) {
      return { status: 'disabled', reason: 'logging.audit.enabled is false' };
    }
    const writer = this.writer;
    if (!writer || !this.unsubscribe) {
      return { status: 'starting' };
    }
    const detail = { path: writer.path, queued: writer.queued, dropped: writer.dropped, written: writer.written };
    const outage = writer.outage;
    if (outage) {
      // Failed: the file could never be opened; degraded: it was, and writes fail now.
      const seconds = Math.max(0, Math.round((Date.now() - outage.since) / 1000));
      return {
        status: outage.opened ? 'degraded' : 'failed',
        reason: `${outage.reason} (for ${seconds} s, retrying)`,
        ...detail,
      };
    }
    if (writer.maintenanceError) {
      return { status: 'degraded', reason: writer.maintenanceError, ...detail };
    }
    const recent = this.recentDrops(writer.dropped);
    if (recent > 0) {
      return {
        status: 'degraded',
        reason: `${recent.toLocaleString('en')} events dropped in the last ${DEGRADED_WINDOW_MS / 1000} s: the write queue (logging.audit.queue_size) was full`,
        ...detail,
      };
    }
    return { status: 'ok', ...detail };
  }

  /** Drops since the first report that saw them grow, while they grew within the window; else 0. */
  private recentDrops(dropped: number): number {
    const now = Date.now();
    if (dropped > this.droppedSeen) {
      if (this.dropStart === undefined || now - this.lastDropAt > DEGRADED_WINDOW_MS) {
        this.dropStart = this.droppedSeen;
      }
      this.droppedSeen = dropped;
      this.lastDropAt = now;
    }
    return this.dropStart !== undefined && now - this.lastDropAt <= DEGRADED_WINDOW_MS ? dropped - this.dropStart : 0;
  }

  private async open(config: AuditConfig): Promise<void> {
    let writer = this.writer;
    if (writer) {
      await writer.configure(auditOptions(config));
    } else {
      const log = this.ctx.log.child({ component: 'audit' });
      writer = new AuditLog(auditOptions(config), {
        onError: (message, error) => log.error({ err: (error as Error)?.message ?? String(error) }, message),
        onRecover: (message, detail) => log.warn(detail, message),
      });
      // One writer for the agent's life, so its counters never go back;
      // exported from the start, even when the file cannot be opened: the
      // events dropped meanwhile are what an operator needs to see.
      this.writer = writer;
      this.ctx.registry.addSource(writer);
    }
    const loss = this.ctx.hub.loss;
    this.unsubscribe = this.ctx.hub.subscribe((events) => {
      const queued = writer.enqueue(events);
      if (queued < events.length) {
        const dropped = new Map<string, number>();
        for (let i = queued; i < events.length; i++) {
          dropped.set(events[i].container_id, (dropped.get(events[i].container_id) ?? 0) + 1);
        }
        dropped.forEach((count, container) => loss.add(container, 'audit_queue_full', count));
      }
    });
    this.timer = setInterval(() => void writer.maintain(), HOUR_MS);
    this.timer.unref();
    try {
      await writer.open();
    } catch {
      // The writer keeps trying (a disk remounted writable, a directory
      // created); health() reports the component failed until it opens.
    }
  }

  private async close(): Promise<void> {
    clearInterval(this.timer);
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    // The writer stays, with its counters exported.
    await this.writer?.close();
  }
}
