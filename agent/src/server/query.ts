// Query parameters checked like any other input: a bad value is a 400 that
// says which parameter, what it must be and what was sent.
import { quote } from '../text/quote';
import { badRequest } from './errors';

export function queryInteger(
  query: URLSearchParams,
  name: string,
  { min, max, fallback }: { min: number; max: number; fallback?: number }
): number | undefined {
  const all = query.getAll(name);
  if (all.length > 1) {
    // Which one would win is a guess the client should not have to make.
    throw badRequest(`invalid ${name}: given ${all.length} times; give it once`);
  }
  const raw = all[0] ?? null;
  if (raw === null || raw === '') {
    return fallback;
  }
  if (!/^-?\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw badRequest(`invalid ${name}: must be a whole number from ${min} to ${max} (got ${quote(raw)})`);
  }
  return Number(raw);
}

/** A comma-separated list of values from a closed set, or undefined when absent. */
export function queryEnumList<T extends string>(
  query: URLSearchParams,
  name: string,
  allowed: readonly T[]
): Set<T> | undefined {
  const values = queryList(query, name);
  if (!values) {
    return undefined;
  }
  for (const value of values) {
    if (!allowed.includes(value as T)) {
      throw badRequest(`invalid ${name}: ${quote(value)} is not one of ${allowed.join(', ')}`);
    }
  }
  return values as Set<T>;
}

/** A comma-separated list of free-form values, each checked against `pattern`. */
export function queryList(
  query: URLSearchParams,
  name: string,
  pattern?: RegExp,
  what?: string
): Set<string> | undefined {
  const all = query.getAll(name);
  if (all.length === 0) {
    return undefined;
  }
  const values = all
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
  if (values.length === 0) {
    throw badRequest(`invalid ${name}: empty`);
  }
  if (values.length > 64) {
    throw badRequest(`invalid ${name}: at most 64 values`);
  }
  if (pattern) {
    for (const value of values) {
      if (!pattern.test(value)) {
        throw badRequest(`invalid ${name}: ${quote(value)} is not ${what ?? `matching ${pattern}`}`);
      }
    }
  }
  return new Set(values);
}

/** Refuses parameters the endpoint does not know, so a typo is not silently ignored. */
export function rejectUnknownParams(query: URLSearchParams, known: readonly string[]): void {
  for (const name of query.keys()) {
    if (!known.includes(name)) {
      throw badRequest(`unknown parameter ${quote(name)} (known: ${known.join(', ')})`);
    }
  }
}
