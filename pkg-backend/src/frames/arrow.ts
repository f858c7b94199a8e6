// Arrow IPC *file* encoding of frames, laid out the way Grafana's Go SDK
// (data.UnmarshalArrowFrame) reads them: schema metadata `name`, `refId` and
// `meta` (JSON); field metadata `tstype`, `labels` and `config` (JSON); the
// field name as the Arrow field name. Columns are built from explicit buffers:
// apache-arrow's type inference would turn strings into dictionaries and
// dates into milliseconds, both of which Grafana misreads.
// apache-arrow's own modules rather than its entry point: the entry wires
// Node and DOM stream adapters into the readers, writers and builders, which
// pulls every one of them into the executable; the writer alone is what the
// plugin runs (and the reader, for tests, stays out of the bundle unused).
import { type Data, makeData } from 'apache-arrow/data';
import { RecordBatchReader } from 'apache-arrow/ipc/reader';
import { RecordBatchFileWriter } from 'apache-arrow/ipc/writer';
import { RecordBatch } from 'apache-arrow/recordbatch';
import { Field as ArrowField, Schema } from 'apache-arrow/schema';
import { Binary, Bool, type DataType, Float64, Int64, Struct, TimestampNanosecond, Utf8 } from 'apache-arrow/type';

import { type Field, type FieldType, type Frame, type FrameMeta, rowCount, TS_TYPE } from './frame';

const utf8 = new TextEncoder();

interface Validity {
  nullCount: number;
  nullBitmap?: Uint8Array;
}

function validity(field: Field): Validity {
  if (!Array.isArray(field.values)) {
    return { nullCount: 0 };
  }
  let nullCount = 0;
  for (const v of field.values) {
    if (v === null || v === undefined) {
      nullCount++;
    }
  }
  if (nullCount === 0) {
    return { nullCount };
  }
  if (!field.nullable) {
    throw new Error(`field ${field.name} is not nullable but holds ${nullCount} null value(s)`);
  }
  const bitmap = new Uint8Array(Math.ceil(field.values.length / 8));
  (field.values as unknown[]).forEach((v, i) => {
    if (v !== null && v !== undefined) {
      bitmap[i >> 3] |= 1 << (i & 7);
    }
  });
  return { nullCount, nullBitmap: bitmap };
}

function variableWidth(chunks: Array<Uint8Array | null>): { valueOffsets: Int32Array; data: Uint8Array } {
  const valueOffsets = new Int32Array(chunks.length + 1);
  let total = 0;
  chunks.forEach((c, i) => {
    total += c ? c.length : 0;
    valueOffsets[i + 1] = total;
  });
  const data = new Uint8Array(total);
  chunks.forEach((c, i) => {
    if (c) {
      data.set(c, valueOffsets[i]);
    }
  });
  return { valueOffsets, data };
}

function columnData(field: Field): { type: DataType; data: Data } {
  const length = field.values.length;
  const { nullCount, nullBitmap } = validity(field);
  const common = { length, nullCount, nullBitmap };
  switch (field.type) {
    case 'time':
    case 'int64': {
      let values: BigInt64Array;
      if (field.values instanceof BigInt64Array) {
        values = field.values;
      } else {
        values = new BigInt64Array(length);
        (field.values as Array<bigint | null>).forEach((v, i) => {
          values[i] = v ?? 0n;
        });
      }
      const type = field.type === 'time' ? new TimestampNanosecond() : new Int64();
      return { type, data: makeData({ type, data: values, ...common } as never) };
    }
    case 'number': {
      let values: Float64Array;
      if (field.values instanceof Float64Array) {
        values = field.values;
      } else {
        values = new Float64Array(length);
        (field.values as Array<number | null>).forEach((v, i) => {
          values[i] = v ?? 0;
        });
      }
      const type = new Float64();
      return { type, data: makeData({ type, data: values, ...common }) };
    }
    case 'boolean': {
      const bits = new Uint8Array(Math.ceil(length / 8));
      (field.values as Array<boolean | null>).forEach((v, i) => {
        if (v === true) {
          bits[i >> 3] |= 1 << (i & 7);
        }
      });
      const type = new Bool();
      return { type, data: makeData({ type, data: bits, ...common }) };
    }
    case 'string': {
      const type = new Utf8();
      const chunks = (field.values as Array<string | null>).map((v) =>
        v === null || v === undefined ? null : utf8.encode(v)
      );
      return { type, data: makeData({ type, ...variableWidth(chunks), ...common }) };
    }
    case 'json': {
      const type = new Binary();
      const chunks = (field.values as unknown[]).map((v) =>
        v === null || v === undefined ? (field.nullable ? null : utf8.encode('null')) : utf8.encode(JSON.stringify(v))
      );
      return { type, data: makeData({ type, ...variableWidth(chunks), ...common }) };
    }
  }
}

function fieldMetadata(field: Field): Map<string, string> {
  const metadata = new Map([['tstype', TS_TYPE[field.type]]]);
  if (field.labels) {
    metadata.set('labels', JSON.stringify(field.labels));
  }
  if (field.config) {
    metadata.set('config', JSON.stringify(field.config));
  }
  return metadata;
}

/** One frame as an Arrow IPC file, ready for DataResponse.frames. */
export function encodeFrame(frame: Frame): Uint8Array {
  const length = rowCount(frame);
  const columns = frame.fields.map(columnData);
  const arrowFields = frame.fields.map((f, i) => new ArrowField(f.name, columns[i].type, f.nullable, fieldMetadata(f)));
  const metadata = new Map([
    ['name', frame.name],
    ['refId', frame.refId ?? ''],
  ]);
  if (frame.meta) {
    metadata.set('meta', JSON.stringify(frame.meta));
  }
  const schema = new Schema(arrowFields, metadata);
  const struct = makeData({
    type: new Struct(arrowFields),
    length,
    nullCount: 0,
    children: columns.map((c) => c.data),
  });
  // Writing the batch straight to a file writer skips building a Table (a
  // third of the cost of a 1,000-point frame). The writer gets our schema
  // first: a RecordBatch's own schema merges the metadata of same-named
  // fields, which would give every `value` field the last one's labels.
  const writer = new RecordBatchFileWriter();
  writer.reset(undefined, schema);
  writer.write(new RecordBatch(schema, struct));
  writer.finish();
  return writer.toUint8Array(true);
}

/** A decoded field with the Arrow facts a test wants to assert on. */
export interface DecodedField extends Omit<Field, 'values'> {
  values: unknown[];
  /** apache-arrow's name of the column type, e.g. `Timestamp<NANOSECOND>` or `Utf8`. */
  arrowType: string;
  metadata: Record<string, string>;
}

export interface DecodedFrame extends Omit<Frame, 'fields'> {
  fields: DecodedField[];
  metadata: Record<string, string>;
}

const FIELD_TYPE_BY_TSTYPE: Record<string, FieldType> = { time: 'time', string: 'string', boolean: 'boolean' };

function decodedType(arrowType: string, tstype: string | undefined): FieldType {
  if (arrowType === 'Int64') {
    return 'int64';
  }
  if (arrowType === 'Float64') {
    return 'number';
  }
  if (arrowType === 'Binary') {
    return 'json';
  }
  return FIELD_TYPE_BY_TSTYPE[tstype ?? ''] ?? 'string';
}

const utf8Decoder = new TextDecoder();

/** Reads an Arrow IPC file back into a frame; for tests and tools, not the serving path. */
export function decodeFrame(bytes: Uint8Array): DecodedFrame {
  // The reader's own schema: apache-arrow's Table and RecordBatch merge the
  // metadata of same-named fields (several `value` fields with different
  // labels), which would hide what is really in the file.
  const reader = RecordBatchReader.from(bytes);
  reader.open();
  const schema = reader.schema;
  const batches = [...reader];
  const metadata = Object.fromEntries(schema.metadata);
  const fields = schema.fields.map((arrowField, index): DecodedField => {
    const fieldMeta = Object.fromEntries(arrowField.metadata);
    const arrowType = String(arrowField.type);
    const type = decodedType(arrowType, fieldMeta.tstype);
    const values: unknown[] = [];
    for (const batch of batches) {
      const column = batch.getChildAt(index)!;
      for (const chunk of column.data) {
        for (let i = 0; i < chunk.length; i++) {
          const row = values.length;
          if (!chunk.getValid(i)) {
            values.push(null);
          } else if (type === 'time') {
            // Raw 64-bit values: the vector accessor would convert to milliseconds.
            values.push((chunk.values as BigInt64Array)[chunk.offset + i]);
          } else if (type === 'json') {
            values.push(JSON.parse(utf8Decoder.decode(column.get(row) as Uint8Array)));
          } else {
            values.push(column.get(row));
          }
        }
      }
    }
    const decoded: DecodedField = {
      name: arrowField.name,
      type,
      nullable: arrowField.nullable,
      values,
      arrowType,
      metadata: fieldMeta,
    };
    if (fieldMeta.labels) {
      decoded.labels = JSON.parse(fieldMeta.labels);
    }
    if (fieldMeta.config) {
      decoded.config = JSON.parse(fieldMeta.config);
    }
    return decoded;
  });
  const result: DecodedFrame = { name: metadata.name ?? '', fields, metadata };
  if (metadata.refId) {
    result.refId = metadata.refId;
  }
  if (metadata.meta) {
    result.meta = JSON.parse(metadata.meta) as FrameMeta;
  }
  return result;
}
