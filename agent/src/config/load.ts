// Reads, overrides from the environment and validates the configuration.
// Every problem comes back as one line `<where>: <dotted.path>: <reason>`, all
// of them at once, so a user fixes the file in one pass. Nothing here throws
// for bad input and nothing here exits: the caller decides (refuse to start,
// or keep the running configuration on a reload).
import type { ErrorObject, ValidateFunction } from 'ajv';
import { distance } from 'fastest-levenshtein';
import { hostname } from 'node:os';
import { isMap, parseDocument } from 'yaml';

import { readRegularText, type FileRefused } from '../files/regular-file';
import { quote, QUOTE_MAX, shorten } from '../text/quote';
import { checkConfig, type Problem } from './checks';
import type { JsonSchema } from './json-schema';
import { DEFAULT_CONFIG_PATH, type CoreConfig } from './schema';

/** Environment variables that override one key each; the flag `--addr` beats ZVIZ_METRICS_ADDR. */
export const ENV_OVERRIDES: ReadonlyArray<{ env: string; path: readonly string[] }> = [
  { env: 'ZVIZ_METRICS_ADDR', path: ['metrics', 'address'] },
  { env: 'ZVIZ_LOG_LEVEL', path: ['logging', 'level'] },
  { env: 'ZVIZ_LOG_FORMAT', path: ['logging', 'format'] },
  { env: 'ZVIZ_LOG_OUTPUT', path: ['logging', 'output'] },
  { env: 'ZVIZ_VARIANT', path: ['variant'] },
  { env: 'ZVIZ_NODE_NAME', path: ['node_name'] },
];

export interface LoadOptions {
  /** `--config`; else ZVIZ_CONFIG; else /etc/zviz/config.yaml, which may be absent. */
  path?: string;
  env?: NodeJS.ProcessEnv;
  /** Command-line values, by dotted path; they beat the environment and the file. */
  flags?: Readonly<Record<string, string | undefined>>;
}

export type LoadResult<C extends CoreConfig = CoreConfig> =
  { ok: true; config: C; source: string } | { ok: false; source: string; errors: string[] };

/**
 * What the core does not know of a configuration: the components' sections.
 * The agent's assembly hands these over (assembly/load-config.ts).
 */
export interface ConfigParts<C extends CoreConfig> {
  /** The validator of the whole schema, the components' sections in it; it fills in defaults. */
  validator(): ValidateFunction;
  /** Checks of the components' sections a schema cannot express, after the core's own. */
  check(config: C): Problem[];
}

/** A configuration is a few kilobytes; this refuses a wrong file (a log, a device) quickly. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/** Aliases a file may expand; past it a file is refused, so a small file cannot expand into gigabytes. */
const MAX_ALIASES = 100;

function validate(validator: ValidateFunction, data: unknown): ErrorObject[] {
  return validator(data) ? [] : [...(validator.errors ?? [])];
}

/** The file `options` load the configuration from (the default one may be absent). */
export function configFilePath(options: LoadOptions): string {
  return (options.path ?? (options.env ?? process.env).ZVIZ_CONFIG) || DEFAULT_CONFIG_PATH;
}

export function loadConfigWith<C extends CoreConfig>(options: LoadOptions, parts: ConfigParts<C>): LoadResult<C> {
  const env = options.env ?? process.env;
  const explicit = options.path ?? env.ZVIZ_CONFIG;
  const path = configFilePath(options);

  let data: Record<string, unknown> = {};
  let source = path;
  let text: string | undefined;
  try {
    text = readRegularText(path, MAX_CONFIG_BYTES);
  } catch (error) {
    const refused = error as FileRefused;
    if (explicit || refused.code !== 'ENOENT') {
      return { ok: false, source, errors: [`${path}: cannot read the configuration file: ${refused.reason}`] };
    }
    source = 'defaults';
  }
  if (text !== undefined) {
    const parsed = parseYaml(path, text);
    if ('errors' in parsed) {
      return { ok: false, source, errors: parsed.errors };
    }
    data = parsed.data;
  }

  // Remember where each overridden value came from, to name it in errors.
  const origins = new Map<string, string>();
  for (const { env: name, path: keyPath } of ENV_OVERRIDES) {
    const value = env[name];
    if (value !== undefined && value !== '') {
      setPath(data, keyPath, value);
      origins.set(keyPath.join('.'), `environment ${name}`);
    }
  }
  for (const [dotted, value] of Object.entries(options.flags ?? {})) {
    if (value !== undefined) {
      setPath(data, dotted.split('.'), value);
      origins.set(dotted, `flag for ${dotted}`);
    }
  }

  const where = (dotted: string) => origins.get(dotted) ?? source;
  const schemaErrors = validate(parts.validator(), data);
  if (schemaErrors.length > 0) {
    return { ok: false, source, errors: formatSchemaErrors(schemaErrors, where) };
  }
  const config = data as unknown as C;
  config.node_name ??= hostname().split('.')[0] || 'localhost';
  const problems = [...checkConfig(config), ...parts.check(config)];
  if (problems.length > 0) {
    return { ok: false, source, errors: problems.map((p) => `${where(p.path)}: ${p.path}: ${p.reason}`) };
  }
  return { ok: true, config, source };
}

function parseYaml(path: string, text: string): { data: Record<string, unknown> } | { errors: string[] } {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      errors: doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        const message = e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
        return `${path}${pos ? `:${pos.line}:${pos.col}` : ''}: invalid YAML: ${message}`;
      }),
    };
  }
  if (doc.contents === null) {
    return { data: {} };
  }
  if (!isMap(doc.contents)) {
    return { errors: [`${path}: (root): must be a mapping of sections (logging:, metrics:, ...)`] };
  }
  try {
    return { data: doc.toJS({ maxAliasCount: MAX_ALIASES }) as Record<string, unknown> };
  } catch (error) {
    // yaml refuses to expand past the limit (the "billion laughs" guard) by throwing.
    const tooMany = /alias count/i.test((error as Error).message);
    return {
      errors: [
        `${path}: invalid YAML: ${tooMany ? `more than ${MAX_ALIASES} aliases (*name); write the values out` : (error as Error).message}`,
      ],
    };
  }
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) {
      node[key] = {};
    }
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]] = value;
}

// ---- turning ajv's errors into sentences ----

function dotted(instancePath: string, extra?: string): string {
  const parts = instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (extra !== undefined) {
    parts.push(extra);
  }
  // A key can be as long as the file: say how long instead of repeating it.
  return parts.length > 0 ? parts.map((p) => shorten(p, QUOTE_MAX)).join('.') : '(root)';
}

/** A value the file held, as an error message may repeat it: quoted, cut when long. */
function shown(value: unknown): string {
  return typeof value === 'string' ? quote(value) : shorten(JSON.stringify(value) ?? String(value), QUOTE_MAX);
}

function describeValue(value: unknown): string {
  if (value === null) {
    return 'null';
  }
  if (Array.isArray(value)) {
    return 'a list';
  }
  switch (typeof value) {
    case 'string':
      return 'a string';
    case 'number':
      return `the number ${value}`;
    case 'boolean':
      return `${value}`;
    case 'object':
      return 'a mapping';
    default:
      return typeof value;
  }
}

const TYPE_NAMES: Record<string, string> = {
  object: 'a mapping',
  string: 'a string',
  number: 'a number',
  integer: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
};

function reasonFor(error: ErrorObject): { path: string; reason: string } | undefined {
  const parent = (error.parentSchema ?? {}) as JsonSchema;
  const hint = parent.description ? `; ${parent.description}` : '';
  const params = error.params as Record<string, unknown>;
  const data = error.data;
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const known = Object.keys(parent.properties ?? {});
      const close = known.find((k) => distance(k, key) <= 2);
      const suggestion = close ? `did you mean "${close}"? ` : '';
      return {
        path: dotted(error.instancePath, key),
        reason: `unknown key (${suggestion}allowed here: ${known.join(', ')})`,
      };
    }
    case 'required':
      return { path: dotted(error.instancePath, String(params.missingProperty)), reason: 'is required' };
    case 'type':
      return {
        path: dotted(error.instancePath),
        reason: `must be ${TYPE_NAMES[String(params.type)] ?? params.type}, not ${describeValue(data)}`,
      };
    case 'enum':
      return {
        path: dotted(error.instancePath),
        reason: `must be one of ${(params.allowedValues as unknown[]).join(', ')} (got ${shown(data)})`,
      };
    case 'minimum':
      return { path: dotted(error.instancePath), reason: `must be at least ${params.limit} (got ${data})${hint}` };
    case 'maximum':
      return { path: dotted(error.instancePath), reason: `must be at most ${params.limit} (got ${data})${hint}` };
    case 'exclusiveMinimum':
      return { path: dotted(error.instancePath), reason: `must be greater than ${params.limit} (got ${data})${hint}` };
    case 'minLength':
      return {
        path: dotted(error.instancePath),
        // The value may be a secret (a token): say how long, never what.
        reason:
          params.limit === 1
            ? 'must not be empty'
            : `must be at least ${params.limit} characters (got ${String(data).length})${hint}`,
      };
    case 'pattern':
      if (params.propertyName !== undefined || error.propertyName !== undefined) {
        return undefined; // reported by the propertyNames error below
      }
      return {
        path: dotted(error.instancePath),
        reason: `${shown(data)} is not allowed: ${parent.description ?? `must match ${params.pattern}`}`,
      };
    case 'propertyNames': {
      const name = String(params.propertyName);
      const rule = ((parent.propertyNames ?? {}) as JsonSchema).description ?? 'invalid name';
      return { path: dotted(error.instancePath, name), reason: `invalid key: ${rule}` };
    }
    default:
      return { path: dotted(error.instancePath), reason: error.message ?? error.keyword };
  }
}

function formatSchemaErrors(errors: ErrorObject[], where: (path: string) => string): string[] {
  const lines: string[] = [];
  for (const error of errors) {
    const described = reasonFor(error);
    if (described) {
      const line = `${where(described.path)}: ${described.path}: ${described.reason}`;
      if (!lines.includes(line)) {
        lines.push(line);
      }
    }
  }
  return lines;
}
