import { describe, expect, it } from 'vitest';

import { expandDeep, expandText } from './template';

describe('expandText', () => {
  it('replaces %(name)s placeholders and leaves Go templates and printf verbs alone', () => {
    const text = 'up{%(sel)s} > %(n)s and {{ $value | printf "%.2f" }}';
    expect(expandText(text, { sel: 'job="zviz"', n: 3 }, 'here')).toBe(
      'up{job="zviz"} > 3 and {{ $value | printf "%.2f" }}'
    );
  });

  it('names the unknown placeholder and where it was', () => {
    expect(() => expandText('%(nope)s', {}, 'rules.yaml: groups[0]')).toThrow(
      'rules.yaml: groups[0]: unknown placeholder %(nope)s'
    );
  });

  it('expands strings inside nested maps and lists', () => {
    expect(expandDeep({ a: ['%(x)s', 2], b: { c: 'x=%(x)s' } }, { x: 'y' }, 'doc')).toEqual({
      a: ['y', 2],
      b: { c: 'x=y' },
    });
  });
});
