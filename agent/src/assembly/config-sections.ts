// The agent's whole configuration: the core's sections (config/schema.ts) and
// the section each component owns, composed here where the agent is
// assembled, so the core imports no component. Each owner keeps its schema
// and type next to its code and is listed here.
//
// A section schema is a JSON Schema (draft-07) object. Give every property a
// `default` and set `additionalProperties: false`, so unknown keys are
// reported with their path like everywhere else; a `description` on a
// property is shown to the user when a value is refused.
import { BROKER_SCHEMA, type BrokerConfig } from '../broker/config';
import type { JsonSchema } from '../config/json-schema';
import { configSchema, type CoreConfig } from '../config/schema';
import { CONTAINERS_SCHEMA, type ContainerConfig } from '../containers/config';
import { TRACER_CONFIG_SCHEMA, type TracerConfigInput } from '../tracer/config';

export const COMPONENT_SECTION_SCHEMAS = {
  broker: BROKER_SCHEMA,
  containers: CONTAINERS_SCHEMA,
  tracer: TRACER_CONFIG_SCHEMA,
} as const satisfies Record<string, JsonSchema>;

/** The validated shape of each section. */
export interface ComponentSections {
  broker: BrokerConfig;
  containers: ContainerConfig[];
  tracer: TracerConfigInput;
}

/** The configuration `zviz agent` runs with. */
export interface Config extends CoreConfig, ComponentSections {}

export const CONFIG_SCHEMA = configSchema(COMPONENT_SECTION_SCHEMAS);
