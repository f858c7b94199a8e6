// The agent's /metrics, read back into numbers: plain series keyed by their
// labels, histograms as cumulative buckets. Only what `zviz top` shows is
// looked up; the parsing itself is parse-prometheus-text-format's.
import parsePrometheusTextFormat from 'parse-prometheus-text-format';

export type Labels = Readonly<Record<string, string>>;

export interface Series {
  labels: Labels;
  value: number;
}

export interface Bucket {
  /** Upper bound, Infinity for +Inf. */
  le: number;
  /** Cumulative count of observations at or below `le`. */
  count: number;
}

export interface Histogram {
  labels: Labels;
  buckets: Bucket[];
  sum: number;
  count: number;
}

/** A number as the exposition writes it: "+Inf" and "-Inf" are not JavaScript's spelling. */
function promNumber(text: string): number {
  return text === '+Inf' ? Infinity : text === '-Inf' ? -Infinity : Number(text);
}

/**
 * The exposition cut into its families' blocks, each from its first `# HELP`
 * or `# TYPE` line to the next family's: a scan for line starts, without
 * parsing a sample. Lines before any such header form a block of their own
 * (under the empty name), read at once.
 */
function familyBlocks(text: string): Map<string, string> {
  const blocks = new Map<string, string>();
  let name = '';
  let start = 0;
  const close = (end: number) => {
    if (end > start) {
      blocks.set(name, (blocks.get(name) ?? '') + text.slice(start, end));
    }
  };
  for (let at = 0; at < text.length;) {
    const eol = text.indexOf('\n', at);
    const next = eol < 0 ? text.length : eol + 1;
    if (text.startsWith('# HELP ', at) || text.startsWith('# TYPE ', at)) {
      const nameEnd = text.slice(at + 7, next).search(/[ \n]|$/);
      const family = text.slice(at + 7, at + 7 + nameEnd);
      if (family !== name) {
        close(at);
        name = family;
        start = at;
      }
    }
    at = next;
  }
  close(text.length);
  return blocks;
}

export class Exposition {
  private readonly plain = new Map<string, Series[]>();
  private readonly histograms = new Map<string, Histogram[]>();
  private readonly parsed = new Set<string>();

  /**
   * Families are parsed when first asked for: `zviz top` reads a few of the
   * agent's families, and at a thousand containers the exposition is 2 MiB,
   * most of it tracer histograms it never shows (parsing all of it took about
   * 0.35 s per poll).
   */
  private constructor(private readonly blocks: Map<string, string>) {}

  private readonly byContainer = new Map<string, Map<string, Series[]>>();

  /**
   * Reads the Prometheus text format; throws with the parser's reason on a
   * body that is not one. A family is parsed (by parse-prometheus-text-format)
   * when first asked for; one that does not parse throws then.
   */
  static parse(text: string): Exposition {
    const exposition = new Exposition(familyBlocks(text));
    // What comes before any family header (all of a body that is not an exposition) is read now.
    exposition.load('');
    return exposition;
  }

  /** Parses the block of `family` (and the headerless lines before the first block) once. */
  private load(family: string): void {
    for (const name of ['', family]) {
      if (this.parsed.has(name)) {
        continue;
      }
      this.parsed.add(name);
      const block = this.blocks.get(name);
      if (block !== undefined) {
        this.add(parsePrometheusTextFormat(block));
      }
    }
  }

  private add(families: ReturnType<typeof parsePrometheusTextFormat>): void {
    for (const family of families) {
      if (family.type === 'HISTOGRAM') {
        this.histograms.set(
          family.name,
          family.metrics.map((m) => {
            const h = m as { buckets: Record<string, string>; count: string; sum: string; labels?: Labels };
            const buckets = Object.entries(h.buckets)
              .map(([le, count]) => ({ le: promNumber(le), count: promNumber(count) }))
              .sort((a, b) => a.le - b.le);
            return { labels: h.labels ?? {}, buckets, sum: promNumber(h.sum), count: promNumber(h.count) };
          })
        );
      } else if (family.type !== 'SUMMARY') {
        this.plain.set(
          family.name,
          family.metrics.map((m) => ({ labels: m.labels ?? {}, value: promNumber((m as { value: string }).value) }))
        );
      }
    }
  }

  /** Whether the family has a series; a family the agent declares (HELP, TYPE) without any does not count. */
  has(family: string): boolean {
    this.load(family);
    return (this.plain.get(family)?.length ?? 0) > 0 || (this.histograms.get(family)?.length ?? 0) > 0;
  }

  series(family: string): readonly Series[] {
    this.load(family);
    return this.plain.get(family) ?? [];
  }

  /**
   * The family's series of one container. Indexed by container on first use:
   * a frame asks each container for a few values, and a scan of the family for
   * each made a frame of a thousand containers take seconds.
   */
  ofContainer(family: string, containerId: string): readonly Series[] {
    let index = this.byContainer.get(family);
    if (!index) {
      index = new Map();
      for (const s of this.series(family)) {
        const id = s.labels.container_id;
        if (id !== undefined) {
          const list = index.get(id);
          if (list) {
            list.push(s);
          } else {
            index.set(id, [s]);
          }
        }
      }
      this.byContainer.set(family, index);
    }
    return index.get(containerId) ?? [];
  }

  /** The value of the series whose labels include `match`; the sum when several match; undefined when none. */
  value(family: string, match: Labels = {}): number | undefined {
    const keys = Object.keys(match);
    const candidates =
      match.container_id !== undefined ? this.ofContainer(family, match.container_id) : this.series(family);
    let total: number | undefined;
    for (const s of candidates) {
      if (keys.every((k) => s.labels[k] === match[k])) {
        total = (total ?? 0) + s.value;
      }
    }
    return total;
  }

  histogram(family: string): Histogram | undefined {
    this.load(family);
    return this.histograms.get(family)?.[0];
  }
}

/**
 * The q-quantile of a cumulative histogram, interpolated linearly inside the
 * bucket that holds it, as Prometheus' histogram_quantile() does (the lowest
 * bucket starts at 0; a quantile in +Inf reports the highest finite bound).
 * Undefined without observations.
 */
export function quantile(q: number, buckets: readonly Bucket[]): number | undefined {
  const total = buckets.at(-1)?.count ?? 0;
  if (total <= 0 || buckets.at(-1)?.le !== Infinity) {
    return undefined;
  }
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const [i, bucket] of buckets.entries()) {
    if (bucket.count >= rank) {
      if (bucket.le === Infinity) {
        return i > 0 ? buckets[i - 1].le : undefined;
      }
      const inBucket = bucket.count - below;
      return inBucket > 0 ? lower + ((bucket.le - lower) * (rank - below)) / inBucket : bucket.le;
    }
    lower = bucket.le;
    below = bucket.count;
  }
  return undefined;
}

/** Bucket counts observed between two scrapes of a cumulative histogram; undefined after a reset. */
export function bucketDelta(before: readonly Bucket[], after: readonly Bucket[]): Bucket[] | undefined {
  if (before.length !== after.length) {
    return undefined;
  }
  const delta: Bucket[] = [];
  for (const [i, b] of after.entries()) {
    const d = b.count - before[i].count;
    if (b.le !== before[i].le || d < 0) {
      return undefined;
    }
    delta.push({ le: b.le, count: d });
  }
  return delta;
}
