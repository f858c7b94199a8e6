import { describe, expect, it } from 'vitest';

import { Router } from './router';

describe('Router', () => {
  const router = new Router<string>();
  router.add('GET', '/metrics', 'metrics');
  router.add('GET', '/api/v1/containers/:id', 'container');
  router.add('DELETE', '/api/v1/containers/:id', 'remove');

  it('matches literal paths and decodes parameters', () => {
    expect(router.match('GET', '/metrics').found?.route).toBe('metrics');
    expect(router.match('GET', '/api/v1/containers/a%20b').found).toEqual({
      route: 'container',
      pattern: '/api/v1/containers/:id',
      params: { id: 'a b' },
    });
  });

  it('answers HEAD with the GET route', () => {
    expect(router.match('HEAD', '/metrics').found?.route).toBe('metrics');
  });

  it('tells a wrong method (405) from an unknown path (404)', () => {
    expect(router.match('POST', '/api/v1/containers/x')).toEqual({ allowed: ['GET', 'DELETE'] });
    expect(router.match('GET', '/nope')).toEqual({});
    expect(router.match('GET', '/api/v1/containers/')).toEqual({});
    expect(router.match('GET', '/api/v1/containers/%zz')).toEqual({});
  });

  it('refuses duplicate routes and relative patterns', () => {
    expect(() => router.add('GET', '/metrics', 'again')).toThrow(/already registered/);
    expect(() => router.add('GET', 'metrics', 'x')).toThrow(/must start with/);
  });
});
