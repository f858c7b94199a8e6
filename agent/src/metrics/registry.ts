// The agent's registry: the catalog families, filled at scrape time by the
// MetricSources that components add. It owns nothing but the bookkeeping of
// the exposition itself (series per family, limits, scrape duration).
import { BytePool } from './byte-pool';
import { CATALOG, type MetricSpec } from './catalog';
import {
  ExpositionBuilder,
  Slicer,
  compileFamily,
  type CompiledFamily,
  type ExpositionFormat,
  type FamilyOutcome,
  type RenderResult,
} from './render';
import { SnapshotGate } from './snapshot-gate';
import type { FamilySamples, MetricSource, ValueSample } from './source';

/** Series cap per family unless configured otherwise. */
export const DEFAULT_SERIES_LIMIT = 50_000;

export interface RegistryOptions {
  catalog?: readonly MetricSpec[];
  /** Most series one family may export; the rest are left out and counted. */
  seriesLimit?: number;
  /** Per-family overrides of seriesLimit. */
  seriesLimits?: Readonly<Record<string, number>>;
  /** Longest stretch the renderer holds the event loop before yielding (default 2 ms). */
  sliceMs?: number;
  /** Told about sources that fail or hand over samples that do not fit the catalog. */
  warn?: (message: string, detail: Record<string, unknown>) => void;
}

/** What the registry keeps of a whole scrape for its own metrics. */
export interface ScrapeSummary {
  durationSeconds: number;
  families: Map<string, FamilyOutcome>;
}

export interface ScrapeResult extends ScrapeSummary {
  /**
   * The exposition, UTF-8. Its bytes are reused by a later render once
   * release() is called; a caller that never calls it keeps a body of its
   * own, which the garbage collector takes like any Buffer.
   */
  body: Buffer;
  /** Says this caller is done with the body (idempotent). */
  release(): void;
}

/** A render under way, and how many callers wait for it. */
interface Flight {
  rendered: Promise<ScrapeSummary & { body: Buffer; release(): void }>;
  users: number;
}

export class MetricsRegistry {
  private readonly families = new Map<string, CompiledFamily>();
  private readonly sources = new Set<MetricSource>();
  private seriesLimit: number;
  private seriesLimits: Readonly<Record<string, number>>;
  private readonly sliceMs: number;
  private readonly warn: NonNullable<RegistryOptions['warn']>;
  private last: ScrapeSummary | undefined;
  /** Renders under way, by format and the families asked for. */
  private readonly inFlight = new Map<string, Flight>();
  /** The bytes renders write into, reused from one to the next (byte-pool.ts). */
  private readonly pool = new BytePool();
  /** Problems already reported, so a broken source does not flood the log. */
  private readonly warned = new Set<string>();
  /** Keeps a render's collection and a change made through change() apart. */
  private readonly gate = new SnapshotGate();

  constructor(options: RegistryOptions = {}) {
    for (const spec of options.catalog ?? CATALOG) {
      this.families.set(spec.name, compileFamily(spec));
    }
    this.seriesLimit = options.seriesLimit ?? DEFAULT_SERIES_LIMIT;
    this.seriesLimits = options.seriesLimits ?? {};
    this.sliceMs = options.sliceMs ?? 2;
    this.warn = options.warn ?? (() => undefined);
    this.addSource(this.selfSource());
  }

  /**
   * Adds a source; from the next scrape on, its families show its values.
   * Throws if it names a family the catalog does not have: that is a bug in
   * the component, not something to discover in Grafana.
   */
  addSource(source: MetricSource): void {
    const unknown = source.families.filter((name) => !this.families.has(name));
    if (unknown.length > 0) {
      throw new Error(`metric source names families missing from the catalog: ${unknown.join(', ')}`);
    }
    this.sources.add(source);
  }

  /**
   * Runs a short change of what several sources show (the end of a reload:
   * the variant and the reload counters) so that no scrape sees part of it:
   * it starts once the renders under way have asked their sources, and a
   * render that starts meanwhile asks them once it has ended.
   */
  change<T>(change: () => Promise<T>): Promise<T> {
    return this.gate.change(change);
  }

  /** Removes a source; its series are gone from the next scrape. */
  removeSource(source: MetricSource): void {
    this.sources.delete(source);
  }

  setSeriesLimits(limit: number, perFamily: Readonly<Record<string, number>> = {}): void {
    this.seriesLimit = limit;
    this.seriesLimits = perFamily;
  }

  limitFor(family: string): number {
    return this.seriesLimits[family] ?? this.seriesLimit;
  }

  /** The previous whole scrape's numbers, for the registry's own metrics. */
  get lastScrape(): ScrapeSummary | undefined {
    return this.last;
  }

  /** Bytes the renders have allocated so far: it stops growing once the agent is steady. */
  get renderBytesAllocated(): number {
    return this.pool.allocatedBytes;
  }

  /**
   * Asks every source for its values and renders them. Sources are asked one
   * after the other and their samples rendered at once, with the event loop
   * free between slices of a few milliseconds. A scrape asked while another
   * of the same format renders shares its result. Each caller calls
   * release() once it is done with the body; the bytes are reused when all
   * who shared it have.
   */
  async scrape(format: ExpositionFormat, only?: ReadonlySet<string>): Promise<ScrapeResult> {
    // Scrapes that arrive while one of the same format (and families) is
    // being rendered get its result: Prometheus, a second Prometheus, `zviz
    // top` and the datasource often ask within the same moment, and at a
    // thousand containers each render costs tens of milliseconds of the main thread.
    const key = only ? `${format}|${[...only].sort().join(',')}` : format;
    let flight = this.inFlight.get(key);
    if (!flight) {
      flight = { rendered: this.render(format, only).finally(() => this.inFlight.delete(key)), users: 0 };
      this.inFlight.set(key, flight);
    }
    // Counted when it joins, not when the render ends: no caller can give
    // the body back before every one that shares it has it.
    flight.users++;
    const shared = flight;
    const rendered = await shared.rendered;
    let released = false;
    return {
      body: rendered.body,
      families: rendered.families,
      durationSeconds: rendered.durationSeconds,
      release: () => {
        if (!released) {
          released = true;
          if (--shared.users === 0) {
            rendered.release();
          }
        }
      },
    };
  }

  /**
   * With `only`, just those families (names the catalog lacks match
   * nothing): sources that fill none of them are not asked, which at a
   * thousand containers spares most of the work (`zviz top` reads a dozen
   * families of a 2 MiB exposition). Such a scrape is not the exposition's
   * own: the registry's numbers (series per family, the scrape duration)
   * stay those of the last whole one.
   */
  private async render(
    format: ExpositionFormat,
    only?: ReadonlySet<string>
  ): Promise<ScrapeSummary & { body: Buffer; release(): void }> {
    const started = performance.now();
    // The whole walk over the sources is one collection: the event loop
    // runs between slices, but no change() lands in the middle of it.
    const rendered = await this.gate.collect(() => this.renderSources(format, only));
    for (const [name, outcome] of rendered.families) {
      if (outcome.invalid > 0) {
        this.warnOnce(`invalid:${name}`, 'samples left out: they do not fit the catalog family', {
          family: name,
          samples: outcome.invalid,
        });
      }
    }
    const summary = { families: rendered.families, durationSeconds: (performance.now() - started) / 1000 };
    if (!only) {
      this.last = summary;
    }
    return { ...summary, body: rendered.body, release: rendered.release };
  }

  /** Asks each source for its values and renders them, yielding between slices. */
  private async renderSources(format: ExpositionFormat, only?: ReadonlySet<string>): Promise<RenderResult> {
    const slicer = new Slicer(this.sliceMs);
    const builder = new ExpositionBuilder(format, slicer, (name) => this.limitFor(name), this.pool);
    for (const source of [...this.sources]) {
      if (only && !source.families.some((name) => only.has(name))) {
        continue;
      }
      let values: Map<string, FamilySamples>;
      try {
        values = await source.collect();
      } catch (error) {
        this.warnOnce(`failed:${source.families.join(',')}`, 'metric source failed; its families are left out', {
          families: source.families,
          error: (error as Error)?.message ?? String(error),
        });
        continue;
      }
      for (const [name, samples] of values) {
        if (only && !only.has(name)) {
          continue;
        }
        const family = this.families.get(name);
        if (!family || !source.families.includes(name)) {
          this.warnOnce(`undeclared:${name}`, 'metric source returned a family it did not declare; left out', {
            family: name,
          });
          continue;
        }
        await builder.add(family, samples);
      }
      if (slicer.due) {
        await slicer.yield();
      }
    }
    return builder.finish(
      only ? [...this.families.values()].filter((f) => only.has(f.spec.name)) : this.families.values()
    );
  }

  private warnOnce(key: string, message: string, detail: Record<string, unknown>): void {
    if (!this.warned.has(key)) {
      this.warned.add(key);
      this.warn(message, detail);
    }
  }

  /** The exposition's own numbers, from the previous scrape. */
  private selfSource(): MetricSource {
    return {
      families: [
        'zviz_agent_scrape_duration_seconds',
        'zviz_exported_series',
        'zviz_exported_series_limit',
        'zviz_exported_series_dropped',
      ],
      collect: () => {
        const out = new Map<string, FamilySamples>();
        const last = this.last;
        if (!last) {
          return out;
        }
        const series: ValueSample[] = [];
        const limits: ValueSample[] = [];
        const dropped: ValueSample[] = [];
        for (const [family, outcome] of last.families) {
          const labels = { family };
          series.push({ labels, value: outcome.series });
          limits.push({ labels, value: this.limitFor(family) });
          dropped.push({ labels, value: outcome.dropped });
        }
        out.set('zviz_agent_scrape_duration_seconds', [{ labels: {}, value: last.durationSeconds }]);
        out.set('zviz_exported_series', series);
        out.set('zviz_exported_series_limit', limits);
        out.set('zviz_exported_series_dropped', dropped);
        return out;
      },
    };
  }
}
