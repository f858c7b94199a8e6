// The committed built-in profiles are what scripts/profiles.mjs writes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('built-in profiles', () => {
  it('match their generator', async () => {
    const generator = (await import(join(__dirname, '..', '..', 'scripts', 'profiles.mjs'))) as {
      NAMES: string[];
      render(name: string): string;
    };
    expect(generator.NAMES.sort()).toEqual(['ci-runner', 'default', 'observe', 'strict']);
    for (const name of generator.NAMES) {
      const committed = readFileSync(join(__dirname, '..', '..', 'profiles', `${name}.json`), 'utf8');
      expect(JSON.parse(committed), `profiles/${name}.json is stale: run node scripts/profiles.mjs`).toEqual(
        JSON.parse(generator.render(name))
      );
    }
  });
});
