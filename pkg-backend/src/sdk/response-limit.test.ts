import { expect, it } from 'vitest';

import { DEFAULT_RESPONSE_LIMIT, responseLimit } from './response-limit';

it("resolves the response limit as Grafana's Go SDK does, with a bound when none is set", () => {
  expect(responseLimit({ GF_RESPONSE_LIMIT: '1000' }, { GF_DATAPROXY_RESPONSE_LIMIT: '5' })).toBe(1000);
  expect(responseLimit({}, { GF_DATAPROXY_RESPONSE_LIMIT: '5' })).toBe(5);
  // Zero, negative or unreadable values mean "not set", as in the SDK.
  expect(responseLimit({ GF_RESPONSE_LIMIT: '0' }, { GF_DATAPROXY_RESPONSE_LIMIT: '5' })).toBe(5);
  expect(responseLimit({ GF_RESPONSE_LIMIT: '-1' }, {})).toBe(DEFAULT_RESPONSE_LIMIT);
  expect(responseLimit({ GF_RESPONSE_LIMIT: '10MB' }, {})).toBe(DEFAULT_RESPONSE_LIMIT);
  expect(responseLimit({}, {})).toBe(64 * 1024 * 1024);
});
