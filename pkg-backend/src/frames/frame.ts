// Grafana's data frame as the backend builds it: a name, a refId, optional
// meta, and typed columns. Only the types Grafana decodes exactly as meant
// exist here: times are nanoseconds, numbers are nullable doubles, strings are
// plain UTF-8, and `json` columns carry raw JSON (logs' labels).

export type FieldType = 'time' | 'number' | 'int64' | 'string' | 'boolean' | 'json';

/** Grafana's "typescript type" of each field type (`tstype` in Arrow, `type` in JSON frames). */
export const TS_TYPE: Record<FieldType, string> = {
  time: 'time',
  number: 'number',
  int64: 'number',
  string: 'string',
  boolean: 'boolean',
  json: 'other',
};

interface ValueOf {
  /** Nanoseconds since the epoch. */
  time: bigint;
  number: number;
  int64: bigint;
  string: string;
  boolean: boolean;
  json: unknown;
}

export type FieldValue<T extends FieldType> = ValueOf[T];

/** Columns without nulls may come as typed arrays: no boxing, no copies on the way to Arrow. */
type TypedColumn<T extends FieldType> = T extends 'time' | 'int64'
  ? BigInt64Array
  : T extends 'number'
    ? Float64Array
    : never;

export type FieldValues<T extends FieldType> = Array<FieldValue<T> | null> | TypedColumn<T>;
export type Labels = Record<string, string>;

/** Grafana's FieldConfig: display name, unit, decimals, links, thresholds... */
export type FieldConfig = Record<string, unknown>;

export interface Field<T extends FieldType = FieldType> {
  name: string;
  type: T;
  /** Whether the column may hold nulls (Arrow's nullable flag). */
  nullable: boolean;
  values: FieldValues<T>;
  labels?: Labels;
  config?: FieldConfig;
}

export interface Notice {
  severity: 'info' | 'warning' | 'error';
  text: string;
}

/** Grafana's FrameMeta; only the members ZViz fills are typed. */
export interface FrameMeta {
  type?: string;
  typeVersion?: [number, number];
  preferredVisualisationType?: 'graph' | 'table' | 'logs' | 'trace' | 'nodeGraph' | 'flamegraph';
  executedQueryString?: string;
  notices?: Notice[];
  custom?: unknown;
  [key: string]: unknown;
}

export interface Frame {
  name: string;
  refId?: string;
  meta?: FrameMeta;
  fields: Field[];
}

export interface FieldOptions {
  labels?: Labels;
  config?: FieldConfig;
  nullable?: boolean;
}

function field<T extends FieldType>(
  type: T,
  name: string,
  values: FieldValues<T>,
  defaultNullable: boolean,
  options: FieldOptions
): Field<T> {
  const f: Field<T> = { name, type, nullable: options.nullable ?? defaultNullable, values };
  if (options.labels) {
    f.labels = options.labels;
  }
  if (options.config) {
    f.config = options.config;
  }
  return f;
}

/** Time column from nanosecond timestamps; not nullable unless asked. */
export function timeField(name: string, nanos: FieldValues<'time'>, options: FieldOptions = {}): Field<'time'> {
  return field('time', name, nanos, false, options);
}

/** Float64 column; nullable, as Grafana's numeric fields from a store usually are. */
export function numberField(name: string, values: FieldValues<'number'>, options: FieldOptions = {}): Field<'number'> {
  return field('number', name, values, true, options);
}

export function int64Field(name: string, values: Array<bigint | null>, options: FieldOptions = {}): Field<'int64'> {
  return field('int64', name, values, false, options);
}

export function stringField(name: string, values: Array<string | null>, options: FieldOptions = {}): Field<'string'> {
  return field('string', name, values, false, options);
}

export function booleanField(
  name: string,
  values: Array<boolean | null>,
  options: FieldOptions = {}
): Field<'boolean'> {
  return field('boolean', name, values, false, options);
}

/** Raw JSON column (Grafana's json.RawMessage), as the logs contract wants for labels. */
export function jsonField(name: string, values: unknown[], options: FieldOptions = {}): Field<'json'> {
  return field('json', name, values, false, options);
}

export function frame(name: string, fields: Field[], meta?: FrameMeta, refId?: string): Frame {
  const f: Frame = { name, fields };
  if (refId) {
    f.refId = refId;
  }
  if (meta) {
    f.meta = meta;
  }
  return f;
}

/** Rows in the frame; throws when columns disagree, which Grafana would reject. */
export function rowCount(f: Frame): number {
  const lengths = new Set(f.fields.map((x) => x.values.length));
  if (lengths.size > 1) {
    const detail = f.fields.map((x) => `${x.name}=${x.values.length}`).join(', ');
    throw new Error(`frame ${f.name}: fields have different lengths (${detail})`);
  }
  return f.fields[0]?.values.length ?? 0;
}

const NANOS_PER_MILLI = 1_000_000n;

/** Epoch milliseconds (possibly fractional) to nanoseconds, exact to the microsecond. */
export function nanosFromMillis(ms: number): bigint {
  const whole = Math.floor(ms);
  return BigInt(whole) * NANOS_PER_MILLI + BigInt(Math.round((ms - whole) * 1e6));
}

/** Epoch seconds as Prometheus writes them (e.g. 1700000000.123) to nanoseconds. */
export function nanosFromSeconds(seconds: number): bigint {
  return BigInt(Math.round(seconds * 1e6)) * 1000n;
}

const TWO_32 = 2 ** 32;

/**
 * Epoch seconds (Prometheus' sample times, millisecond precision) to a
 * nanosecond column without a BigInt per value: the 64-bit product is built
 * from 32-bit halves, each exact in a double.
 */
export function nanosColumnFromSeconds(seconds: ArrayLike<number>): BigInt64Array {
  const out = new BigInt64Array(seconds.length);
  const view = new DataView(out.buffer);
  for (let i = 0; i < seconds.length; i++) {
    const ms = Math.round(seconds[i] * 1000);
    const sign = ms < 0 ? -1 : 1;
    const abs = Math.abs(ms);
    const hi = Math.floor(abs / TWO_32);
    const lowProduct = (abs - hi * TWO_32) * 1_000_000;
    const carry = Math.floor(lowProduct / TWO_32);
    view.setUint32(i * 8, lowProduct - carry * TWO_32, true);
    view.setUint32(i * 8 + 4, hi * 1_000_000 + carry, true);
    if (sign < 0) {
      out[i] = -out[i];
    }
  }
  return out;
}

/** RFC 3339 with up to nanosecond fractions (the agent's timestamps) to nanoseconds. */
export function nanosFromISO(text: string): bigint | undefined {
  const match = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(text);
  if (!match) {
    return undefined;
  }
  const seconds = Date.parse(`${match[1]}${match[3]}`);
  if (Number.isNaN(seconds)) {
    return undefined;
  }
  const fraction = BigInt((match[2] ?? '').padEnd(9, '0') || '0');
  return BigInt(seconds) * NANOS_PER_MILLI + fraction;
}
