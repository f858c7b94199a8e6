// Where a profile comes from: a built-in name (agent/profiles/<name>.json,
// shipped with the agent) or a file path.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';

import { readRegularText, type FileRefused } from '../files/regular-file';
import { packageRoot } from '../native/load';

/** Docker's default profile is about 20 KiB; a profile of megabytes is a mistake or an attack. */
export const MAX_PROFILE_BYTES = 1024 * 1024;

export interface ProfileText {
  /** What messages name: the file path (built-ins too, so users can open it). */
  source: string;
  /** The name containers carry in metrics and the audit log. */
  name: string;
  builtin: boolean;
  text: string;
}

export function builtinDirectory(): string {
  return join(packageRoot(), 'profiles');
}

export function builtinNames(): string[] {
  try {
    return readdirSync(builtinDirectory())
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -'.json'.length))
      .sort();
  } catch {
    return [];
  }
}

function looksLikePath(reference: string): boolean {
  return reference.includes('/') || reference.endsWith('.json') || reference.startsWith('.');
}

/** Reads a profile by built-in name or path; throws an Error a user can act on. */
export function readProfile(reference: string): ProfileText {
  if (reference === '') {
    throw new Error('empty profile name');
  }
  if (!looksLikePath(reference)) {
    const file = join(builtinDirectory(), `${reference}.json`);
    if (existsSync(file)) {
      return { source: file, name: reference, builtin: true, text: readFileSync(file, 'utf8') };
    }
    if (!existsSync(reference)) {
      throw new Error(
        `unknown profile "${reference}": not a built-in profile (${builtinNames().join(', ') || 'none installed'}) ` +
          'and no such file'
      );
    }
  }
  const path = resolve(reference);
  let text: string;
  try {
    text = readRegularText(path, MAX_PROFILE_BYTES);
  } catch (error) {
    throw new Error(`${path}: cannot read the profile: ${(error as FileRefused).reason}`);
  }
  const name = basename(path).replace(/\.json$/, '');
  return { source: path, name, builtin: false, text };
}
