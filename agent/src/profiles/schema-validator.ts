// The JSON Schema validator of profiles. Compiling the schema costs about
// 150 ms, which every `zviz run` would pay before its workload starts; the
// bundle (agent/scripts/bundle.mjs) replaces this module with ajv's
// standalone code generated from the same schema and options at build time,
// so the installed agent never compiles it. Tests run this module as it is.
import Ajv, { type ValidateFunction } from 'ajv';

import { PROFILE_SCHEMA } from './schema';

/** What the bundler compiles ahead of time; nothing else reads it. */
export const PROFILE_VALIDATION = {
  schema: PROFILE_SCHEMA,
  options: { allErrors: true, strict: true, allowUnionTypes: true },
} as const;

export function profileSchemaValidator(): ValidateFunction {
  return new Ajv(PROFILE_VALIDATION.options).compile(PROFILE_VALIDATION.schema);
}
