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

export interface MetricSource {
  /** Catalog family names this source fills. */
  readonly families: readonly string[];
  /** Current values, keyed by family name; families left out export no series. */
  collect(): Map<string, FamilySamples> | Promise<Map<string, FamilySamples>>;
}
