// The agent's profile cache against the real broker addon: an unchanged
// profile is validated and compiled once, an edited one again, a broken one
// is refused every time and never kept, and the cache stays bounded.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { requireBrokerAddon, type BrokerAddon } from '../native/broker-addon';
import { ProfileCache } from './cache';
import { builtinDirectory } from './load';
import { ProfileError } from './problems';

/** The real addon, counting libseccomp compilations. */
function countingAddon(): { addon: BrokerAddon; compilations: () => number } {
  const real = requireBrokerAddon();
  let count = 0;
  const addon = Object.create(real) as BrokerAddon;
  addon.compileFilter = (plan) => {
    count++;
    return real.compileFilter(plan);
  };
  return { addon, compilations: () => count };
}

describe('ProfileCache', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zviz-profile-cache-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'mine.json');

  it('loads an unchanged profile once, and an edited one again', () => {
    copyFileSync(join(builtinDirectory(), 'strict.json'), file);
    const { addon, compilations } = countingAddon();
    const cache = new ProfileCache(addon);
    const first = cache.load(file);
    expect(cache.load(file)).toBe(first);
    expect(compilations()).toBe(1);

    const edited = JSON.parse(readFileSync(file, 'utf8')) as { defaultErrnoRet?: number };
    edited.defaultErrnoRet = 13;
    writeFileSync(file, JSON.stringify(edited));
    const second = cache.load(file);
    expect(second).not.toBe(first);
    expect(second.validated.profile.defaultErrnoRet).toBe(13);
    expect(compilations()).toBe(2);
  });

  it('refuses a broken profile every time and keeps nothing of it', () => {
    const { addon } = countingAddon();
    const cache = new ProfileCache(addon);
    writeFileSync(file, '{"defaultAction": "SCMP_ACT_NOPE"}');
    expect(() => cache.load(file)).toThrow(ProfileError);
    expect(() => cache.load(file)).toThrow(ProfileError);
    expect(cache.size).toBe(0);
  });

  it('keeps at most its capacity, dropping the least recently used', () => {
    const { addon, compilations } = countingAddon();
    const cache = new ProfileCache(addon, 2);
    cache.load('default');
    cache.load('strict');
    cache.load('default'); // default is now the most recent
    cache.load('ci-runner'); // drops strict
    expect(cache.size).toBe(2);
    expect(compilations()).toBe(3);
    cache.load('default');
    expect(compilations()).toBe(3);
    cache.load('strict');
    expect(compilations()).toBe(4);
  });
});
