// Configuration sections owned by other parts of the agent. The core only
// composes them into the file's schema (schema.ts) and hands each owner its
// validated section. An owner takes over its section by replacing the
// permissive placeholder below with an import of its own schema and type,
// for example:
//
//   import { brokerSchema, type BrokerConfig } from '../broker/config';
//   ...
//   broker: brokerSchema,
//
// A section schema is a JSON Schema (draft-07) object. Give every property a
// `default` and set `additionalProperties: false`, so unknown keys are
// reported with their path like everywhere else; a `description` on a
// property is shown to the user when a value is refused.
import { BROKER_SCHEMA, type BrokerConfig } from '../broker/config';
import { CONTAINERS_SCHEMA, type ContainerConfig } from '../containers/config';
import type { JsonSchema } from './json-schema';

/** Until an owner lands its schema: any mapping, defaulting to empty. */
const placeholder: JsonSchema = { type: 'object', default: {} };

export const COMPONENT_SECTION_SCHEMAS = {
  broker: BROKER_SCHEMA,
  containers: CONTAINERS_SCHEMA,
  tracer: placeholder,
} as const satisfies Record<string, JsonSchema>;

/** The validated shape of each section; owners replace these with their types. */
export interface ComponentSections {
  broker: BrokerConfig;
  containers: ContainerConfig[];
  tracer: Record<string, unknown>;
}
