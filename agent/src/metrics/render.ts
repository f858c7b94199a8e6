// Text exposition of catalog families, in the Prometheus text format 0.0.4
// and in OpenMetrics 1.0. Hand-rendered because the values are absolute
// numbers handed over at scrape time: going through prom-client would mean
// re-setting every series (hashing its labels) on each scrape before
// rendering it, which costs several times more at 50,000 series (see
// bench/scrape). prom-client still owns the metrics that JavaScript updates
// itself; they reach this renderer through PromClientSource.
//
// The renderer yields to the event loop every few milliseconds, so a large
// scrape never stalls the broker's event delivery or the API for long.
import { BytePool, SLAB_BYTES } from './byte-pool';
import type { MetricSpec } from './catalog';
import type { HistogramSample, Labels, ValueSample } from './source';

export type ExpositionFormat = 'text' | 'openmetrics';

export const CONTENT_TYPES: Readonly<Record<ExpositionFormat, string>> = {
  text: 'text/plain; version=0.0.4; charset=utf-8',
  openmetrics: 'application/openmetrics-text; version=1.0.0; charset=utf-8',
};

/** Units OpenMetrics can declare, recognised from the family name's suffix. */
const UNITS = ['seconds', 'bytes', 'ratio'] as const;

/** A catalog family prepared once for fast rendering. */
export interface CompiledFamily {
  readonly spec: MetricSpec;
  readonly header: Readonly<Record<ExpositionFormat, string>>;
  /** The same headers as UTF-8, made once rather than at every render. */
  readonly headerBytes: Readonly<Record<ExpositionFormat, Buffer>>;
  /** `name="` for each catalog label, in catalog order. */
  readonly labelOpeners: readonly string[];
  /** Rendered `le` values, without +Inf. */
  readonly bounds: readonly string[];
  /** Series one sample of this family exposes: 1, or buckets + +Inf + sum + count. */
  readonly seriesPerSample: number;
  /**
   * Where this family memoizes, on each labels object, its rendered form
   * (the label block, or a histogram's line prefixes); see labelBlock.
   */
  readonly memo: symbol;
}

export function compileFamily(spec: MetricSpec): CompiledFamily {
  // OpenMetrics names a counter family without `_total` and requires its
  // samples to end in it. A counter whose contracted name has no `_total`
  // (docs/metrics.md) keeps its sample name there by being typed `unknown`.
  const omCounter = spec.type === 'counter' && spec.name.endsWith('_total');
  const omName = omCounter ? spec.name.slice(0, -'_total'.length) : spec.name;
  const omType = spec.type === 'counter' && !omCounter ? 'unknown' : spec.type;
  const unit = UNITS.find((u) => omName.endsWith(`_${u}`));
  const text = `# HELP ${spec.name} ${escapeHelpText(spec.help)}\n# TYPE ${spec.name} ${spec.type}\n`;
  const openmetrics =
    `# TYPE ${omName} ${omType}\n` +
    (unit ? `# UNIT ${omName} ${unit}\n` : '') +
    `# HELP ${omName} ${escapeLabelValue(spec.help)}\n`;
  const bounds = spec.type === 'histogram' ? (spec.buckets ?? []).map(formatValue) : [];
  return {
    spec,
    header: { text, openmetrics },
    headerBytes: { text: Buffer.from(text), openmetrics: Buffer.from(openmetrics) },
    labelOpeners: spec.labels.map((name, i) => `${i === 0 ? '' : ','}${name}="`),
    bounds,
    seriesPerSample: spec.type === 'histogram' ? bounds.length + 3 : 1,
    memo: Symbol(spec.name),
  };
}

const NEEDS_ESCAPE = /[\\"\n]/;

export function escapeLabelValue(value: string): string {
  return NEEDS_ESCAPE.test(value) ? value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : value;
}

/** The text format escapes only backslash and newline in HELP. */
function escapeHelpText(help: string): string {
  return help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

export function formatValue(value: number): string {
  if (Number.isFinite(value)) {
    return String(value);
  }
  if (Number.isNaN(value)) {
    return 'NaN';
  }
  return value > 0 ? '+Inf' : '-Inf';
}

type Memo = Record<symbol, string | string[] | undefined>;

function remember(memo: Memo, key: symbol, value: string | string[]): void {
  if (Object.isExtensible(memo)) {
    Object.defineProperty(memo, key, { value, enumerable: false, writable: true });
  }
}

/** `{a="x",b="y"}` for the family's labels, or '' when it has none. */
function labelBlock(family: CompiledFamily, labels: Labels): string {
  const openers = family.labelOpeners;
  if (openers.length === 0) {
    return '';
  }
  // Sources usually keep one labels object per series across scrapes, so its
  // rendered form is built once, not at every scrape. It is kept on the
  // object itself under a symbol (invisible to keys, JSON and equality): it
  // lives exactly as long as the labels do, and costs the GC nothing, where
  // a WeakMap of 50,000 keys made every collection measurably longer.
  const memo = labels as Memo;
  const cached = memo[family.memo];
  if (typeof cached === 'string') {
    return cached;
  }
  const parts: string[] = [];
  const names = family.spec.labels;
  for (let i = 0; i < openers.length; i++) {
    parts.push(openers[i], escapeLabelValue(labels[names[i]] ?? ''), '"');
  }
  const out = parts.join('');
  remember(memo, family.memo, out);
  return out;
}

/**
 * Joined rather than concatenated: a string kept for the labels' lifetime
 * is then one flat string, not a tree of V8 cons strings (some 3 MiB of
 * them at a thousand containers) walked again at every render.
 */
function flat(...parts: string[]): string {
  return parts.join('');
}

/** Cooperative slicing: resolves at once unless the current slice is used up. */
export class Slicer {
  private sliceStart = performance.now();

  constructor(private readonly sliceMs: number) {}

  get due(): boolean {
    return performance.now() - this.sliceStart >= this.sliceMs;
  }

  async yield(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.sliceStart = performance.now();
  }
}

export interface FamilyInput {
  family: CompiledFamily;
  /** Sample lists from each source that filled the family. */
  parts: ReadonlyArray<ReadonlyArray<ValueSample | HistogramSample>>;
  /** Most series to expose; samples past it are left out and counted. */
  seriesLimit: number;
}

export interface FamilyOutcome {
  series: number;
  dropped: number;
  /** Samples left out because they did not fit the catalog (wrong bucket count, non-numeric value). */
  invalid: number;
}

export interface RenderResult {
  /** The exposition, UTF-8: valid until release() (its bytes are then reused). */
  body: Buffer;
  families: Map<string, FamilyOutcome>;
  /** Gives the body back to the pool it came from; call it once nothing reads the body any more. */
  release(): void;
}

/** How many samples to render between two looks at the clock. */
const CHECK_EVERY = 128;
/** Rendered text gathered before it is written out as bytes (UTF-16 code units). */
const FLUSH_CHARS = 16 * 1024;
const EOF_BYTES = Buffer.from('# EOF\n');

/**
 * Builds one exposition from samples handed over source by source. Each
 * source's samples are rendered as soon as they arrive and written as bytes
 * into slabs of a BytePool, so the text dies young instead of being copied
 * by every GC while the rest of the scrape runs; the families are put
 * together in catalog order at the end, each with its header once, into a
 * body from the same pool, and the slabs go back to it.
 */
export class ExpositionBuilder {
  private readonly outcomes = new Map<string, FamilyOutcome>();
  /** Each family's bytes: pieces of slabs, in the order they were written. */
  private readonly segments = new Map<string, Segments>();
  private readonly slabs: Buffer[] = [];
  private slab: Buffer | undefined;
  private used = 0;
  private pending = '';
  private sinceCheck = 0;

  constructor(
    private readonly format: ExpositionFormat,
    private readonly slicer: Slicer,
    private readonly seriesLimit: (family: string) => number,
    private readonly pool: BytePool = new BytePool()
  ) {}

  async add(family: CompiledFamily, samples: ReadonlyArray<ValueSample | HistogramSample>): Promise<void> {
    const name = family.spec.name;
    let outcome = this.outcomes.get(name);
    let segments = this.segments.get(name);
    if (!outcome || !segments) {
      outcome = { series: 0, dropped: 0, invalid: 0 };
      segments = { slabs: [], starts: [], ends: [] };
      this.outcomes.set(name, outcome);
      this.segments.set(name, segments);
    }
    const limit = this.seriesLimit(name);
    const histogram = family.spec.type === 'histogram';
    for (const sample of samples) {
      if (outcome.series + family.seriesPerSample > limit) {
        outcome.dropped += family.seriesPerSample;
        continue;
      }
      const lines = histogram
        ? histogramLines(family, sample as HistogramSample)
        : valueLine(family, sample as ValueSample);
      if (lines === undefined) {
        outcome.invalid++;
        continue;
      }
      this.pending += lines;
      if (this.pending.length >= FLUSH_CHARS) {
        this.flush(segments);
      }
      outcome.series += family.seriesPerSample;
      if (++this.sinceCheck >= CHECK_EVERY) {
        this.sinceCheck = 0;
        if (this.slicer.due) {
          // Written out first: the text would otherwise outlive the young generation.
          this.flush(segments);
          await this.slicer.yield();
        }
      }
    }
    this.flush(segments);
  }

  /**
   * The exposition, families in the order given (the catalog's). A family
   * without series still gets its `# HELP` and `# TYPE`: a user sees what
   * exists, and a query for it is known to be right before its first series.
   */
  finish(order: Iterable<CompiledFamily>): RenderResult {
    const families = [...order];
    let size = this.format === 'openmetrics' ? EOF_BYTES.length : 0;
    for (const family of families) {
      size += family.headerBytes[this.format].length;
      const segments = this.segments.get(family.spec.name);
      for (let i = 0; segments && i < segments.slabs.length; i++) {
        size += segments.ends[i] - segments.starts[i];
      }
    }
    const body = this.pool.takeBody(size);
    let at = 0;
    for (const family of families) {
      at += family.headerBytes[this.format].copy(body, at);
      const segments = this.segments.get(family.spec.name);
      for (let i = 0; segments && i < segments.slabs.length; i++) {
        at += segments.slabs[i].copy(body, at, segments.starts[i], segments.ends[i]);
      }
    }
    if (this.format === 'openmetrics') {
      at += EOF_BYTES.copy(body, at);
    }
    for (const slab of this.slabs) {
      this.pool.giveSlab(slab);
    }
    this.slabs.length = 0;
    this.slab = undefined;
    this.segments.clear();
    let released = false;
    return {
      body,
      families: this.outcomes,
      release: () => {
        if (!released) {
          released = true;
          this.pool.giveBody(body);
        }
      },
    };
  }

  /** Writes the text gathered so far into the current slab (a new one when it does not fit). */
  private flush(segments: Segments): void {
    const text = this.pending;
    if (text.length === 0) {
      return;
    }
    this.pending = '';
    const room = this.slab ? this.slab.length - this.used : 0;
    // A UTF-16 code unit takes at most 3 bytes in UTF-8: the exact length is
    // counted only when the text might not fit.
    if (room < text.length * 3) {
      const bytes = Buffer.byteLength(text);
      if (room < bytes) {
        this.slab = this.pool.takeSlab(Math.max(bytes, SLAB_BYTES));
        this.slabs.push(this.slab);
        this.used = 0;
      }
    }
    const slab = this.slab!;
    const start = this.used;
    this.used += slab.write(text, start);
    const last = segments.slabs.length - 1;
    if (last >= 0 && segments.slabs[last] === slab && segments.ends[last] === start) {
      segments.ends[last] = this.used;
    } else {
      segments.slabs.push(slab);
      segments.starts.push(start);
      segments.ends.push(this.used);
    }
  }
}

/** Pieces of slabs, as three parallel lists (a few per family, not an object each). */
interface Segments {
  slabs: Buffer[];
  starts: number[];
  ends: number[];
}

/** Renders families whose samples are all at hand (tests, one-shot output). */
export async function renderExposition(
  inputs: readonly FamilyInput[],
  format: ExpositionFormat,
  sliceMs = 2
): Promise<RenderResult> {
  const limits = new Map(inputs.map((input) => [input.family.spec.name, input.seriesLimit]));
  const builder = new ExpositionBuilder(format, new Slicer(sliceMs), (name) => limits.get(name) ?? Infinity);
  for (const input of inputs) {
    for (const part of input.parts) {
      await builder.add(input.family, part);
    }
  }
  return builder.finish(inputs.map((input) => input.family));
}

function valueLine(family: CompiledFamily, sample: ValueSample): string | undefined {
  if (typeof sample.value !== 'number') {
    return undefined;
  }
  const labels = labelBlock(family, sample.labels);
  return `${family.spec.name}${labels ? `{${labels}}` : ''} ${formatValue(sample.value)}\n`;
}

function histogramLines(family: CompiledFamily, sample: HistogramSample): string | undefined {
  const { bounds } = family;
  const { buckets } = sample;
  if (!buckets || buckets.length !== bounds.length || typeof sample.count !== 'number') {
    return undefined;
  }
  const memo = sample.labels as Memo;
  let prefixes = memo[family.memo] as string[] | undefined;
  if (!Array.isArray(prefixes)) {
    prefixes = histogramPrefixes(family, sample.labels);
    remember(memo, family.memo, prefixes);
  }
  let out = '';
  for (let i = 0; i < bounds.length; i++) {
    out += prefixes[i] + formatValue(buckets[i]) + '\n';
  }
  const count = formatValue(sample.count);
  const n = bounds.length;
  return (
    out + prefixes[n] + count + '\n' + prefixes[n + 1] + formatValue(sample.sum) + '\n' + prefixes[n + 2] + count + '\n'
  );
}

/** `name_bucket{labels,le="b"} ` for each bound and +Inf, then `name_sum{labels} ` and `name_count{labels} `. */
function histogramPrefixes(family: CompiledFamily, labelValues: Labels): string[] {
  const name = family.spec.name;
  const labels = labelBlock(family, labelValues);
  const open = `${name}_bucket{${labels}${labels ? ',' : ''}le="`;
  const suffix = labels ? `{${labels}}` : '';
  return [
    ...family.bounds.map((bound) => flat(open, bound, '"} ')),
    flat(open, '+Inf"} '),
    flat(name, '_sum', suffix, ' '),
    flat(name, '_count', suffix, ' '),
  ];
}

/**
 * Picks the format from an Accept header the way Prometheus' client
 * libraries do: the highest-q media range that names OpenMetrics or the
 * text format wins; OpenMetrics only when asked for.
 */
export function negotiateFormat(accept: string | undefined): ExpositionFormat {
  if (!accept) {
    return 'text';
  }
  let best: { format: ExpositionFormat; q: number } | undefined;
  for (const range of accept.split(',')) {
    const [type, ...params] = range.split(';').map((p) => p.trim().toLowerCase());
    let q = 1;
    for (const param of params) {
      const [key, value] = param.split('=');
      if (key === 'q') {
        q = Number(value);
      }
    }
    if (!(q > 0)) {
      continue;
    }
    const format: ExpositionFormat | undefined =
      type === 'application/openmetrics-text'
        ? 'openmetrics'
        : type === 'text/plain' || type === '*/*' || type === 'text/*'
          ? 'text'
          : undefined;
    if (format && (!best || q > best.q)) {
      best = { format, q };
    }
  }
  return best?.format ?? 'text';
}
