// The `date` header of the plugin's gRPC answers comes from date-header.ts,
// never from Node's Date#toUTCString (which loads ICU's time zones).
import http2 from 'node:http2';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { httpDate } from './date-header';
import { createLogger } from './log';
import { type PluginServer, startPluginServer } from './server';

describe('httpDate', () => {
  it("writes what Date#toUTCString writes, at every day, month and field's edge", () => {
    const dates = [
      Date.UTC(1994, 10, 6, 8, 49, 37),
      Date.UTC(2000, 0, 1, 0, 0, 0),
      Date.UTC(2024, 1, 29, 23, 59, 59),
      Date.UTC(2026, 11, 31, 9, 5, 3, 999),
      ...Array.from({ length: 14 }, (_, i) => Date.UTC(2026, i, i * 2 + 1, i, i * 4, i * 3)),
    ];
    for (const time of dates) {
      expect(httpDate(new Date(time))).toBe(new Date(time).toUTCString());
    }
  });
});

describe('gRPC answers', () => {
  let server: PluginServer;
  const logger = createLogger({ level: 'error', write: () => undefined });

  beforeAll(async () => {
    server = await startPluginServer({}, { logger, env: {} });
  });
  afterAll(() => server.stop(100));

  /** The response headers of one call over a plain HTTP/2 connection, with `toUTCString` made recognisable. */
  async function headersOf(path: string): Promise<http2.IncomingHttpHeaders> {
    const address = server.address;
    const session = http2.connect('http://plugin', {
      createConnection: () =>
        address.network === 'unix' ? connect(address.path) : connect(address.port, address.host),
    });
    try {
      const stream = session.request({
        ':method': 'POST',
        ':path': path,
        'content-type': 'application/grpc',
        te: 'trailers',
      });
      stream.end(Buffer.alloc(5)); // one empty message
      const headers = await new Promise<http2.IncomingHttpHeaders>((resolve, reject) => {
        stream.once('response', resolve);
        stream.once('error', reject);
      });
      stream.resume();
      await new Promise((resolve) => stream.once('close', resolve));
      return headers;
    } finally {
      session.close();
    }
  }

  it('carry a date header that Node did not format, on an answer and on a failure before any', async () => {
    const toUTCString = vi.spyOn(Date.prototype, 'toUTCString').mockReturnValue('made by Node');
    try {
      // Node keeps its date header for up to a second: past that, it would format a new one.
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const before = Date.now();
      const answered = await headersOf('/grpc.health.v1.Health/Check');
      // The plugin has no queryData: UNIMPLEMENTED, sent as a trailers-only response.
      const failed = await headersOf('/pluginv2.Data/QueryData');
      expect(answered[':status']).toBe(200);
      expect(failed['grpc-status']).toBe('12');
      for (const headers of [answered, failed]) {
        expect(headers.date).toMatch(/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
        expect(Math.abs(Date.parse(headers.date!) - before)).toBeLessThan(60_000);
      }
      expect(toUTCString).not.toHaveBeenCalled();
    } finally {
      toUTCString.mockRestore();
    }
  });
});
