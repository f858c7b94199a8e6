import { describe, expect, it } from 'vitest';

import { overrideConfig, parseConfig, parseSettings } from './config';

const defaults = { zvizSelector: 'job="zviz"', brokerInflight: 200 };

describe('overrideConfig', () => {
  it('overrides known settings and converts numbers given as text', () => {
    expect(overrideConfig(defaults, { brokerInflight: '500' }, '--set')).toEqual({
      zvizSelector: 'job="zviz"',
      brokerInflight: 500,
    });
  });

  it('refuses an unknown setting, listing the known ones', () => {
    expect(() => overrideConfig(defaults, { brokerInfligt: 5 }, 'my.yaml')).toThrow(
      'my.yaml: unknown setting "brokerInfligt"; known settings: zvizSelector, brokerInflight'
    );
  });

  it('refuses text where a number belongs', () => {
    expect(() => overrideConfig(defaults, { brokerInflight: 'many' }, '--set')).toThrow(
      '--set: brokerInflight must be a number, got "many"'
    );
  });
});

describe('parseConfig', () => {
  it('refuses nested values', () => {
    expect(() => parseConfig('a:\n  b: 1\n', 'c.yaml')).toThrow('c.yaml: a must be a string or a number');
  });
});

describe('parseSettings', () => {
  it('splits at the first = only', () => {
    expect(parseSettings(['zvizSelector=job="a"'])).toEqual({ zvizSelector: 'job="a"' });
  });

  it('explains the expected form', () => {
    expect(() => parseSettings(['oops'])).toThrow('--set oops: expected NAME=VALUE');
  });
});
