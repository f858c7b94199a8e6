// The JSON Schema validator of the agent's configuration (which also fills
// in defaults). Like the profile validator (profiles/schema-validator.ts),
// the bundle replaces this module with ajv's standalone code generated at
// build time, so commands that read the configuration do not compile the
// schema first.
import Ajv, { type ValidateFunction } from 'ajv';

import { CONFIG_SCHEMA } from './config-sections';

/** What the bundler compiles ahead of time; nothing else reads it. */
export const CONFIG_VALIDATION = {
  schema: CONFIG_SCHEMA,
  options: { allErrors: true, useDefaults: true, verbose: true, strict: true },
} as const;

export function configSchemaValidator(): ValidateFunction {
  return new Ajv(CONFIG_VALIDATION.options).compile(CONFIG_VALIDATION.schema);
}
