import { afterEach, expect, it } from 'vitest';

import { createLogger, hclogTimestamp, logProcessWarnings } from './log';

const saved = process.listeners('warning');
afterEach(() => {
  process.removeAllListeners('warning');
  saved.forEach((l) => process.on('warning', l));
});

it('writes hclog JSON lines with a six-digit fraction in @timestamp', () => {
  const lines: string[] = [];
  createLogger({ write: (l) => lines.push(l), fields: { version: '1' } }).info('hello', { n: 1n, e: new Error('x') });
  const entry = JSON.parse(lines[0]);
  expect(entry).toMatchObject({ '@level': 'info', '@message': 'hello', version: '1', n: '1', e: 'x' });
  expect(entry['@timestamp']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  expect(hclogTimestamp(new Date(0))).toBe('1970-01-01T00:00:00.000000Z');
});

it("sends Node's own warnings through the logger instead of plain text on stderr", async () => {
  const lines: string[] = [];
  logProcessWarnings(createLogger({ write: (l) => lines.push(l) }));
  expect(process.listenerCount('warning')).toBe(1);
  process.emitWarning('Setting the NODE_TLS_REJECT_UNAUTHORIZED environment variable to 0 is insecure', {
    code: 'TEST_WARNING',
  });
  await new Promise((resolve) => setImmediate(resolve));
  expect(lines.map((l) => JSON.parse(l))).toEqual([
    expect.objectContaining({
      '@level': 'warn',
      '@message': 'node: Setting the NODE_TLS_REJECT_UNAUTHORIZED environment variable to 0 is insecure',
      warning: 'Warning',
      code: 'TEST_WARNING',
    }),
  ]);
});
