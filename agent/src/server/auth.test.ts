// The authenticator's bounds on bcrypt work, on a clock the test moves:
// which checks hash, which are remembered, and when a client is told to wait.
import { hashSync } from 'bcryptjs';
import { describe, expect, it } from 'vitest';

import { Authenticator, hashUnits } from './auth';

const cost10 = hashSync('pw', 10);
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

function setup(users: Record<string, string> = { prometheus: cost10 }) {
  let now = 0;
  let hashes = 0;
  const auth = new Authenticator(
    { type: 'basic', users, exempt_probes: true },
    { onHash: () => hashes++, now: () => now }
  );
  return {
    auth,
    advance: (seconds: number) => (now += seconds * 1000),
    hashes: () => hashes,
  };
}

describe('Authenticator', () => {
  it('counts bcrypt work in cost-10 units', () => {
    expect(hashUnits(cost10)).toBe(1);
    expect(hashUnits('$2b$12$' + 'a'.repeat(53))).toBe(4);
    expect(hashUnits('$2y$04$' + 'a'.repeat(53))).toBe(1 / 64);
  });

  it('lets one client run 4 checks at once, then one every 2 s, and says when to retry', async () => {
    const { auth, advance, hashes } = setup();
    for (let i = 0; i < 4; i++) {
      expect(await auth.check(basic('prometheus', `guess-${i}`), '10.0.0.1')).toEqual({ result: 'refused' });
    }
    expect(await auth.check(basic('prometheus', 'guess-4'), '10.0.0.1')).toEqual({
      result: 'throttled',
      retryAfter: 2,
    });
    expect(hashes()).toBe(4);
    advance(2);
    expect(await auth.check(basic('prometheus', 'guess-5'), '10.0.0.1')).toEqual({ result: 'refused' });
    expect(hashes()).toBe(5);
  });

  it('remembers what it checked: a credential seen again costs no hash and no budget', async () => {
    const { auth, hashes } = setup();
    expect(await auth.check(basic('prometheus', 'pw'), 'a')).toEqual({ result: 'ok' });
    expect(await auth.check(basic('prometheus', 'wrong'), 'a')).toEqual({ result: 'refused' });
    for (let i = 0; i < 10; i++) {
      expect(await auth.check(basic('prometheus', 'pw'), 'a')).toEqual({ result: 'ok' });
      expect(await auth.check(basic('prometheus', 'wrong'), 'a')).toEqual({ result: 'refused' });
    }
    expect(hashes()).toBe(2);
  });

  it('keeps a good credential however many wrong ones come after it', async () => {
    // Cost 4, so the 1100 checks take a moment.
    const { auth, advance, hashes } = setup({ prometheus: hashSync('pw', 4) });
    expect(await auth.check(basic('prometheus', 'pw'), 'scraper')).toEqual({ result: 'ok' });
    // 1100 distinct failures from many clients: more than the failure memory holds.
    for (let i = 0; i < 1100; i++) {
      advance(1);
      expect(await auth.check(basic('prometheus', `guess-${i}`), `10.0.${i >> 8}.${i & 255}`)).toEqual({
        result: 'refused',
      });
    }
    const before = hashes();
    expect(before).toBe(1101);
    expect(await auth.check(basic('prometheus', 'pw'), 'scraper')).toEqual({ result: 'ok' });
    expect(hashes()).toBe(before);
  });

  it('bounds all clients together: 8 units at once, then 2 a second', async () => {
    const { auth, advance, hashes } = setup();
    const verdicts = [];
    for (let i = 0; i < 12; i++) {
      verdicts.push((await auth.check(basic('prometheus', `guess-${i}`), `client-${i}`)).result);
    }
    expect(verdicts.filter((v) => v === 'refused')).toHaveLength(8);
    expect(verdicts.filter((v) => v === 'throttled')).toHaveLength(4);
    advance(1);
    expect((await auth.check(basic('prometheus', 'new-1'), 'client-x')).result).toBe('refused');
    expect((await auth.check(basic('prometheus', 'new-2'), 'client-y')).result).toBe('refused');
    expect((await auth.check(basic('prometheus', 'new-3'), 'client-z')).result).toBe('throttled');
    expect(hashes()).toBe(10);
  });

  it('checks unknown users against a dummy hash, so they cost the same', async () => {
    const { auth, hashes } = setup();
    expect(await auth.check(basic('mallory', 'pw'), 'a')).toEqual({ result: 'refused' });
    expect(hashes()).toBe(1);
  });

  it('forgets every remembered credential on reload', async () => {
    const { auth, hashes } = setup();
    await auth.check(basic('prometheus', 'pw'), 'a');
    auth.configure({ type: 'basic', users: { prometheus: hashSync('rotated', 4) }, exempt_probes: true });
    expect(await auth.check(basic('prometheus', 'pw'), 'a')).toEqual({ result: 'refused' });
    expect(await auth.check(basic('prometheus', 'rotated'), 'a')).toEqual({ result: 'ok' });
    expect(hashes()).toBe(3);
  });
});
