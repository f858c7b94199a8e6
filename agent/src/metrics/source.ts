// How components hand their numbers to the registry. A source is asked at
// scrape time for the current absolute values of the catalog families it
// owns; nothing is incremented per event in JavaScript. Native counters,
// BPF maps and cgroup files are read once per scrape.
export type Labels = Readonly<Record<string, string>>;

export interface ValueSample {
  labels: Labels;
  value: number;
}

export interface HistogramSample {
  labels: Labels;
  /** Cumulative counts, one per bucket bound of the family in the catalog, without +Inf. */
  buckets: readonly number[];
  sum: number;
  count: number;
}

export type FamilySamples = ValueSample[] | HistogramSample[];

/**
 * A family's samples already rendered into exposition lines (render.ts
 * renderSamples), by a source that does its rendering off the main thread.
 * `ends[i]` is the byte offset just past sample i's lines, so the registry
 * can stop at the family's series limit exactly as for samples.
 */
export class RenderedSamples {
  constructor(
    readonly body: Uint8Array,
    readonly ends: Uint32Array,
    /**
     * Samples left out because they did not fit the catalog family (counted
     * as such even past the family's limit, where the registry, rendering
     * samples itself, would count them among those dropped).
     */
    readonly invalid: number
  ) {}
}

export interface MetricSource {
  /** Catalog family names this source fills. */
  readonly families: readonly string[];
  /**
   * Called at the start of each scrape, before any source's collect(), by a
   * source that does its work elsewhere (a thread, the kernel) and can start
   * it while the registry renders the sources before it. The same scrape
   * then calls collect(), which hands over what was started.
   */
  prepare?(): void;
  /** Current values, keyed by family name; families left out export no series. */
  collect(): Map<string, FamilySamples | RenderedSamples> | Promise<Map<string, FamilySamples | RenderedSamples>>;
}
