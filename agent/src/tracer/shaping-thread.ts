// Where the tracer's reads are shaped: on a worker thread of the agent
// (dist/zviz-tracer-worker.js, built from shaping-worker.ts), or on the
// calling thread where that file is not there. Both run the same ReadShaper
// on the same inputs, so what a scrape shows does not depend on which.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

import { RenderedSamples } from '../metrics/source';
import { packageRoot } from '../native/load';
import {
  ReadShaper,
  packRead,
  type PackedRead,
  type SeriesReport,
  type ShapedRead,
  type ShapeRequest,
  type ShaperSetup,
} from './read-shaper';

export interface Shaper {
  shape(request: ShapeRequest): Promise<ShapedRead>;
  /** Forgets a cgroup's series, after every read asked before. */
  forget(cgroup: bigint): void;
  close(): void;
}

export type ToShapingWorker =
  | { type: 'shape'; id: number; request: Omit<ShapeRequest, 'snapshot'> & { snapshot: PackedRead } }
  | { type: 'forget'; cgroup: bigint };

export type FromShapingWorker =
  | {
      id: number;
      families: Array<{ name: string; body: Uint8Array; ends: Uint32Array; invalid: number }>;
      series: SeriesReport;
    }
  | { id: number; error: string };

/** The built worker, next to the agent's bundle; undefined when there is none (the sources run unbundled). */
export function shapingWorkerPath(root?: string): string | undefined {
  try {
    const path = join(root ?? packageRoot(), 'dist', 'zviz-tracer-worker.js');
    return existsSync(path) ? path : undefined;
  } catch {
    return undefined;
  }
}

export class InThreadShaper implements Shaper {
  private readonly shaper: ReadShaper;

  constructor(setup: ShaperSetup) {
    this.shaper = new ReadShaper(setup);
  }

  async shape(request: ShapeRequest): Promise<ShapedRead> {
    return this.shaper.shape(request);
  }

  forget(cgroup: bigint): void {
    this.shaper.forget(cgroup);
  }

  close(): void {}
}

interface Pending {
  resolve(read: ShapedRead): void;
  reject(error: Error): void;
}

/**
 * The shaping worker. If it ends (it should
 * not), the reads it had are refused, `onLost` is told, and the next read
 * starts a new one: its series caps start empty and its overflow counters
 * from zero, which Prometheus reads as a counter reset.
 */
export class WorkerShaper implements Shaper {
  private worker?: Worker;
  private readonly pending = new Map<number, Pending>();
  private next = 0;
  private closed = false;

  constructor(
    private readonly path: string,
    private readonly setup: ShaperSetup,
    private readonly onLost: (reason: string) => void = () => undefined
  ) {
    // Started now, so the first scrape does not wait for a thread to start.
    this.worker = this.start();
  }

  shape(request: ShapeRequest): Promise<ShapedRead> {
    if (this.closed) {
      return Promise.reject(new Error('the tracer has stopped'));
    }
    const worker = (this.worker ??= this.start());
    const id = ++this.next;
    return new Promise<ShapedRead>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const { packed, transfer } = packRead(request.snapshot);
      worker.postMessage(
        { type: 'shape', id, request: { ...request, snapshot: packed } } satisfies ToShapingWorker,
        transfer
      );
    });
  }

  forget(cgroup: bigint): void {
    // A worker not started yet has nothing to forget.
    this.worker?.postMessage({ type: 'forget', cgroup } satisfies ToShapingWorker);
  }

  close(): void {
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    this.refuseAll('the tracer has stopped');
    void worker?.terminate();
  }

  private start(): Worker {
    const worker = new Worker(this.path, { workerData: this.setup });
    // The agent's own life decides when it exits, not this thread's.
    worker.unref();
    worker.on('message', (reply: FromShapingWorker) => {
      const pending = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (!pending) {
        return;
      }
      if ('error' in reply) {
        pending.reject(new Error(`tracer shaping failed: ${reply.error}`));
        return;
      }
      pending.resolve({
        families: new Map(reply.families.map((f) => [f.name, new RenderedSamples(f.body, f.ends, f.invalid)])),
        series: reply.series,
      });
    });
    const lost = (reason: string) => {
      if (this.worker !== worker) {
        return;
      }
      this.worker = undefined;
      this.refuseAll(reason);
      if (!this.closed) {
        this.onLost(reason);
      }
    };
    worker.on('error', (error) => lost(`the shaping thread failed: ${error.message}`));
    worker.on('exit', (code) => lost(`the shaping thread exited (${code})`));
    return worker;
  }

  private refuseAll(reason: string): void {
    for (const pending of this.pending.values()) {
      pending.reject(new Error(reason));
    }
    this.pending.clear();
  }
}
