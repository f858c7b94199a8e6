// A Grafana Live subscriber of the datasource's decision stream: runs
// RunStream as Grafana does, decodes each packet (an audit frame in Grafana's
// JSON frame format) and keeps every relayed event, to compare with what the
// agents wrote to their audit logs.
import type { ClientReadableStream } from '@grpc/grpc-js';

import { AUDIT_FIELDS } from '@zviz/shared/frames';
import type { DatasourceConfig, GrafanaClient } from '../../pkg-backend/test/fixtures/grafana-client';

export interface RelayedEvent {
  agent: string;
  /** ISO time with milliseconds, as the agent wrote it. */
  timestamp: string;
  syscall: string;
  pid: number;
  seq: number;
  /** When the subscriber received it (epoch ms). */
  receivedAt: number;
}

interface JsonFrame {
  schema: { name?: string; fields: Array<{ name: string }> };
  data: { values: unknown[][]; nanos?: Array<number[] | null> };
}

/** The key of an event in the audit log and in the stream alike. */
export function eventKey(e: { timestamp: string; syscall: string; pid: number }): string {
  return `${e.timestamp}|${e.syscall}|${e.pid}`;
}

export class LiveSubscription {
  readonly events: RelayedEvent[] = [];
  packets = 0;
  error?: Error;
  private readonly call: ClientReadableStream<{ data: Buffer }>;

  constructor(client: GrafanaClient, path: string, config: DatasourceConfig) {
    this.call = client.runStream(path, config);
    this.call.on('data', (packet: { data: Buffer }) => this.onPacket(packet.data));
    this.call.on('error', (error: Error) => {
      if (!/CANCELLED/.test(error.message)) {
        this.error = error;
      }
    });
  }

  private onPacket(data: Buffer): void {
    const receivedAt = Date.now();
    const frame = JSON.parse(data.toString()) as JsonFrame;
    this.packets++;
    const column = (name: string) => {
      const i = frame.schema.fields.findIndex((f) => f.name === name);
      if (i < 0) {
        throw new Error(`the stream's frame has no field ${name}`);
      }
      return frame.data.values[i];
    };
    const times = column(AUDIT_FIELDS.timestamp) as number[];
    const agents = column(AUDIT_FIELDS.agent) as string[];
    const syscalls = column(AUDIT_FIELDS.syscall) as string[];
    const pids = column(AUDIT_FIELDS.pid) as Array<number | null>;
    const seqs = column(AUDIT_FIELDS.seq) as number[];
    for (let row = 0; row < times.length; row++) {
      this.events.push({
        agent: agents[row],
        timestamp: new Date(times[row]).toISOString(),
        syscall: syscalls[row],
        pid: pids[row] ?? 0,
        seq: Number(seqs[row]),
        receivedAt,
      });
    }
  }

  /** Relayed events of one agent (by its `host:port`). */
  of(agent: string): RelayedEvent[] {
    return this.events.filter((e) => e.agent === agent);
  }

  cancel(): void {
    this.call.cancel();
  }
}

/**
 * What an agent's audit log holds in a window that the stream lacks (a
 * multiset difference on time, syscall and process), and how many relayed
 * events the audit log does not hold (which would be events invented or
 * duplicated on the way).
 */
export function compareWithAudit(
  audit: Array<{ timestamp: string; syscall: string; pid: number }>,
  relayed: RelayedEvent[]
): { missing: string[]; extra: number } {
  const counts = new Map<string, number>();
  for (const e of relayed) {
    counts.set(eventKey(e), (counts.get(eventKey(e)) ?? 0) + 1);
  }
  const missing: string[] = [];
  for (const e of audit) {
    const key = eventKey(e);
    const n = counts.get(key) ?? 0;
    if (n === 0) {
      missing.push(key);
    } else {
      counts.set(key, n - 1);
    }
  }
  const extra = [...counts.values()].reduce((a, b) => a + b, 0);
  return { missing, extra };
}
