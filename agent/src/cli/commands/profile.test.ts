// `zviz profile check` on a corpus of broken profiles: each gets its own
// `<file>: <JSON pointer>: <reason>` line and a non-zero exit; the built-in
// and the Docker/Podman profiles pass.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { checkProfile } from './profile';

const FIXTURES = join(__dirname, '..', '..', '..', 'test', 'fixtures');
const BROKEN = join(FIXTURES, 'broken-profiles');
const expected = JSON.parse(readFileSync(join(BROKEN, 'expected.json'), 'utf8')) as Record<
  string,
  { pointer: string; reason: string }
>;

function check(reference: string): { code: number; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const code = checkProfile(reference, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

describe('zviz profile check', () => {
  for (const [file, { pointer, reason }] of Object.entries(expected)) {
    it(`explains ${file}: ${pointer || '(root)'}`, () => {
      const path = join(BROKEN, file);
      const { code, out, err } = check(path);
      expect(code).toBe(1);
      expect(out).toEqual([]);
      const line = err.find((l) => l.startsWith(`${path}: ${pointer || '(root)'}: `));
      expect(line, err.join('\n')).toBeDefined();
      expect(line).toContain(reason);
      expect(err[err.length - 1]).toMatch(/problems?; the profile cannot be used$/);
    });
  }

  for (const name of ['default', 'ci-runner', 'strict', 'observe']) {
    it(`accepts the built-in ${name}`, () => {
      const { code, out } = check(name);
      expect(code).toBe(0);
      expect(out[0]).toMatch(new RegExp(`/profiles/${name}\\.json: ok: \\d+ BPF instructions`));
    });
  }

  for (const file of ['docker-default-seccomp.json', 'podman-default-seccomp.json']) {
    it(`accepts ${file} as it is`, () => {
      const { code, out, err } = check(join(FIXTURES, file));
      expect(err).toEqual([]);
      expect(code).toBe(0);
      expect(out[0]).toContain('x86_64/x86/x32');
    });
  }

  it('names an unknown built-in and lists the real ones', () => {
    const { code, err } = check('no-such-profile');
    expect(code).toBe(1);
    expect(err[0]).toContain('unknown profile "no-such-profile"');
    expect(err[0]).toContain('ci-runner');
  });
});
