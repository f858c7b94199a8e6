// The subset of JSON Schema draft-07 the configuration schemas use. Kept loose
// on purpose (ajv checks the schemas themselves when it compiles them).
export interface JsonSchema {
  type?: 'object' | 'string' | 'number' | 'integer' | 'boolean' | 'array';
  description?: string;
  default?: unknown;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
  required?: string[];
  items?: JsonSchema;
  enum?: readonly unknown[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minProperties?: number;
  minItems?: number;
  maxItems?: number;
  propertyNames?: JsonSchema;
}
