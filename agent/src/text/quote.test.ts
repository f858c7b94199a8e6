// What an error message repeats of a value it was sent.
import { expect, it } from 'vitest';

import { quote, shorten } from './quote';

it('quotes short values whole', () => {
  expect(quote('verbose')).toBe('"verbose"');
  expect(shorten('/etc/zviz/token')).toBe('/etc/zviz/token');
});

it('cuts long values and says how long they were', () => {
  expect(quote('x'.repeat(100_000))).toBe(`"${'x'.repeat(64)}…" (100000 characters)`);
  expect(shorten(`/${'d'.repeat(300)}`, 10)).toBe('/ddddddddd… (301 characters)');
});

it('counts and cuts by characters, never splitting one', () => {
  expect(quote('🙂'.repeat(70))).toBe(`"${'🙂'.repeat(64)}…" (70 characters)`);
});

it('escapes what a terminal would act on', () => {
  expect(quote('a\u001b[2Jb\nc')).toBe('"a\\u001b[2Jb\\nc"');
  expect(quote('ab\u202edc\u0085')).toBe('"ab\\u202Edc\\u0085"');
  expect(shorten('/tmp/\u001b]0;x\u0007\n')).toBe('/tmp/\\x1B]0;x\\x07\\n');
});
