// The tunables of the rules (a mixin's `_config`): selectors, thresholds,
// names. Defaults live in src/alerts/config.yaml; a user's file or --set
// values override them, key by key, with the same types.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

export type ConfigValue = string | number;
export type RulesConfig = Readonly<Record<string, ConfigValue>>;

export function parseConfig(text: string, origin: string): RulesConfig {
  const data: unknown = parse(text);
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new Error(`${origin}: expected a map of names to values`);
  }
  const config: Record<string, ConfigValue> = {};
  for (const [key, value] of Object.entries(data)) {
    if (typeof value !== 'string' && typeof value !== 'number') {
      throw new Error(`${origin}: ${key} must be a string or a number, got ${JSON.stringify(value)}`);
    }
    config[key] = value;
  }
  return config;
}

export function loadConfig(path: string): RulesConfig {
  return parseConfig(readFileSync(path, 'utf8'), path);
}

/** Applies overrides to the defaults; unknown keys and type changes are errors, not silent no-ops. */
export function overrideConfig(defaults: RulesConfig, overrides: RulesConfig, origin: string): RulesConfig {
  const merged: Record<string, ConfigValue> = { ...defaults };
  for (const [key, value] of Object.entries(overrides)) {
    if (!(key in defaults)) {
      const known = Object.keys(defaults).join(', ');
      throw new Error(`${origin}: unknown setting "${key}"; known settings: ${known}`);
    }
    const expected = typeof defaults[key];
    let typed: ConfigValue = value;
    if (expected === 'number' && typeof value === 'string') {
      typed = Number(value);
      if (value.trim() === '' || !Number.isFinite(typed)) {
        throw new Error(`${origin}: ${key} must be a number, got "${value}"`);
      }
    } else if (expected === 'string' && typeof value === 'number') {
      typed = String(value);
    }
    merged[key] = typed;
  }
  return merged;
}

/** `key=value` pairs from the command line. */
export function parseSettings(settings: readonly string[]): RulesConfig {
  const config: Record<string, string> = {};
  for (const setting of settings) {
    const eq = setting.indexOf('=');
    if (eq <= 0) {
      throw new Error(`--set ${setting}: expected NAME=VALUE, for example --set 'zvizSelector=job="zviz-agents"'`);
    }
    config[setting.slice(0, eq)] = setting.slice(eq + 1);
  }
  return config;
}

export function configString(config: RulesConfig, key: string): string {
  const value = config[key];
  if (typeof value !== 'string' || value === '') {
    throw new Error(`setting ${key} must be a non-empty string`);
  }
  return value;
}

export function configNumber(config: RulesConfig, key: string): number {
  const value = config[key];
  if (typeof value !== 'number') {
    throw new Error(`setting ${key} must be a number`);
  }
  return value;
}
