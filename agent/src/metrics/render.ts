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
  /** `name="` for each catalog label, in catalog order. */
  readonly labelOpeners: readonly string[];
  /** Rendered `le` values, without +Inf. */
  readonly bounds: readonly string[];
  /** Series one sample of this family exposes: 1, or buckets + +Inf + sum + count. */
  readonly seriesPerSample: number;
}

export function compileFamily(spec: MetricSpec): CompiledFamily {
  const omName = spec.type === 'counter' ? spec.name.replace(/_total$/, '') : spec.name;
  const unit = UNITS.find((u) => omName.endsWith(`_${u}`));
  const text = `# HELP ${spec.name} ${escapeHelpText(spec.help)}\n# TYPE ${spec.name} ${spec.type}\n`;
  const openmetrics =
    `# TYPE ${omName} ${spec.type}\n` +
    (unit ? `# UNIT ${omName} ${unit}\n` : '') +
    `# HELP ${omName} ${escapeLabelValue(spec.help)}\n`;
  const bounds = spec.type === 'histogram' ? (spec.buckets ?? []).map(formatValue) : [];
  return {
    spec,
    header: { text, openmetrics },
    labelOpeners: spec.labels.map((name, i) => `${i === 0 ? '' : ','}${name}="`),
    bounds,
    seriesPerSample: spec.type === 'histogram' ? bounds.length + 3 : 1,
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

/** `{a="x",b="y"}` for the family's labels, or '' when it has none. */
function labelBlock(family: CompiledFamily, labels: Labels): string {
  const openers = family.labelOpeners;
  if (openers.length === 0) {
    return '';
  }
  let out = '';
  const names = family.spec.labels;
  for (let i = 0; i < openers.length; i++) {
    out += openers[i] + escapeLabelValue(labels[names[i]] ?? '') + '"';
  }
  return out;
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
  body: string;
  families: Map<string, FamilyOutcome>;
}

/** How many samples to render between two looks at the clock. */
const CHECK_EVERY = 128;

export async function renderExposition(
  inputs: readonly FamilyInput[],
  format: ExpositionFormat,
  sliceMs = 4
): Promise<RenderResult> {
  const slicer = new Slicer(sliceMs);
  const families = new Map<string, FamilyOutcome>();
  let body = '';
  let sinceCheck = 0;
  for (const input of inputs) {
    const { family } = input;
    const outcome: FamilyOutcome = { series: 0, dropped: 0, invalid: 0 };
    families.set(family.spec.name, outcome);
    let chunk = '';
    for (const part of input.parts) {
      for (const sample of part) {
        if (outcome.series + family.seriesPerSample > input.seriesLimit) {
          outcome.dropped += family.seriesPerSample;
          continue;
        }
        const lines =
          family.spec.type === 'histogram'
            ? histogramLines(family, sample as HistogramSample)
            : valueLine(family, sample as ValueSample);
        if (lines === undefined) {
          outcome.invalid++;
          continue;
        }
        chunk += lines;
        outcome.series += family.seriesPerSample;
        if (++sinceCheck >= CHECK_EVERY) {
          sinceCheck = 0;
          if (slicer.due) {
            await slicer.yield();
          }
        }
      }
    }
    if (outcome.series > 0) {
      body += family.header[format] + chunk;
    }
  }
  if (format === 'openmetrics') {
    body += '# EOF\n';
  }
  return { body, families };
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
  const name = family.spec.name;
  const labels = labelBlock(family, sample.labels);
  const open = `${name}_bucket{${labels}${labels ? ',' : ''}le="`;
  let out = '';
  for (let i = 0; i < bounds.length; i++) {
    out += `${open}${bounds[i]}"} ${formatValue(buckets[i])}\n`;
  }
  const count = formatValue(sample.count);
  const suffix = labels ? `{${labels}}` : '';
  out += `${open}+Inf"} ${count}\n${name}_sum${suffix} ${formatValue(sample.sum)}\n${name}_count${suffix} ${count}\n`;
  return out;
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
