// The JSON form of a frame that Grafana Live carries in stream packets (and
// that Go's data.FrameToJSON writes): {schema:{name, refId, meta, fields:[{name,
// type, typeInfo:{frame, nullable}, labels, config}]}, data:{values, entities,
// nanos}}. Times are epoch milliseconds with the sub-millisecond rest in
// `nanos`; NaN and infinities, which JSON lacks, are null in `values` and
// listed by row in `entities`.
import { type Field, type FieldType, type Frame, rowCount, TS_TYPE } from './frame';

/** Go's type names, which Grafana reads from `typeInfo.frame`. */
const GO_TYPE: Record<FieldType, string> = {
  time: 'time.Time',
  number: 'float64',
  int64: 'int64',
  string: 'string',
  boolean: 'bool',
  json: 'json.RawMessage',
};

interface Entities {
  NaN?: number[];
  Inf?: number[];
  NegInf?: number[];
}

function schemaOf(frame: Frame): Record<string, unknown> {
  const schema: Record<string, unknown> = {};
  if (frame.name) {
    schema.name = frame.name;
  }
  if (frame.refId) {
    schema.refId = frame.refId;
  }
  if (frame.meta) {
    schema.meta = frame.meta;
  }
  schema.fields = frame.fields.map((f) => {
    const out: Record<string, unknown> = { name: f.name, type: TS_TYPE[f.type] };
    out.typeInfo = f.nullable ? { frame: GO_TYPE[f.type], nullable: true } : { frame: GO_TYPE[f.type] };
    if (f.labels) {
      out.labels = f.labels;
    }
    if (f.config) {
      out.config = f.config;
    }
    return out;
  });
  return schema;
}

const NANOS_PER_MILLI = 1_000_000n;

function columnOf(typed: Field, entities: Array<Entities | null>, nanos: Array<number[] | null>, index: number) {
  // Typed columns become plain arrays: their map() would keep the element type.
  const values: unknown[] = Array.isArray(typed.values) ? typed.values : Array.from(typed.values as ArrayLike<unknown>);
  const field = { type: typed.type, values };
  switch (field.type) {
    case 'time': {
      let rest: number[] | null = null;
      const values = field.values.map((v, row) => {
        if (v === null) {
          return null;
        }
        const ns = v as bigint;
        const ms = ns / NANOS_PER_MILLI;
        const remainder = Number(ns - ms * NANOS_PER_MILLI);
        if (remainder !== 0) {
          rest ??= new Array<number>(field.values.length).fill(0);
          rest[row] = remainder;
        }
        return Number(ms);
      });
      nanos[index] = rest;
      return values;
    }
    case 'number':
      return field.values.map((v, row) => {
        const n = v as number | null;
        if (n === null || Number.isFinite(n)) {
          return n;
        }
        const kind: keyof Entities = Number.isNaN(n) ? 'NaN' : n > 0 ? 'Inf' : 'NegInf';
        const lookup = (entities[index] ??= {});
        (lookup[kind] ??= []).push(row);
        return null;
      });
    case 'int64':
      // JSON numbers are doubles; counts and durations ZViz sends stay well below 2^53.
      return field.values.map((v) => (v === null ? null : Number(v)));
    default:
      return field.values;
  }
}

/** A frame in Grafana's JSON frame format: schema and data. */
export function frameToJSON(frame: Frame): string {
  rowCount(frame);
  const entities: Array<Entities | null> = frame.fields.map(() => null);
  const nanos: Array<number[] | null> = frame.fields.map(() => null);
  const values = frame.fields.map((f, i) => columnOf(f, entities, nanos, i));
  const data: Record<string, unknown> = { values };
  if (entities.some((e) => e !== null)) {
    data.entities = entities;
  }
  if (nanos.some((n) => n !== null)) {
    data.nanos = nanos;
  }
  return JSON.stringify({ schema: schemaOf(frame), data });
}
