// How the protocol's messages become plain objects, for both kinds of codecs
// (protocol-schema.ts and the bundle's static ones, scripts/build.mjs).
import type { IConversionOptions } from 'protobufjs';

/**
 * Field names stay as Grafana spells them (refId, jsonData, lastUpdatedMS);
 * int64 fields hold epoch milliseconds and small counts, so numbers are
 * exact; enums travel as their names; absent fields read as their defaults.
 */
export const TO_OBJECT: IConversionOptions = { longs: Number, enums: String, bytes: Buffer, defaults: true };
