import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

import type { HealthReport } from '@zviz/shared/agent-api';

export interface ServerOptions {
  host: string;
  port: number;
  registry: Registry;
  health: () => HealthReport;
}

export async function startServer(options: ServerOptions): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/metrics') {
      options.registry.metrics().then(
        (body) => res.writeHead(200, { 'Content-Type': options.registry.contentType }).end(body),
        (error: Error) => res.writeHead(500).end(error.message)
      );
      return;
    }
    if (path === '/health') {
      const report = options.health();
      res
        .writeHead(report.status === 'unhealthy' ? 503 : 200, { 'Content-Type': 'application/json' })
        .end(JSON.stringify(report));
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, resolve);
  });
  return server;
}
