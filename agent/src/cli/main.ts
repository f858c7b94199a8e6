import { Command } from 'commander';

import { createRegistry } from '../metrics/registry';
import { registerProfile } from './commands/profile';
import { registerRun } from './commands/run';
import { startServer } from '../server/http';
import { VERSION } from '../version';

const DEFAULT_ADDR = '127.0.0.1:9090';

function parseAddr(value: string): { host: string; port: number } {
  const match = /^(.*):(\d+)$/.exec(value);
  const port = match ? Number(match[2]) : NaN;
  if (!match || !match[1] || port < 0 || port > 65535) {
    throw new Error(`invalid address "${value}": expected HOST:PORT, for example ${DEFAULT_ADDR}`);
  }
  return { host: match[1], port };
}

async function serve(addr: string): Promise<void> {
  const started = Date.now();
  const { host, port } = parseAddr(addr);
  const registry = createRegistry({ variant: process.env.ZVIZ_VARIANT ?? 'production' });
  await startServer({
    host,
    port,
    registry,
    health: () => ({
      status: 'healthy',
      version: VERSION,
      uptime: Math.floor((Date.now() - started) / 1000),
      containers: 0,
      broker: { status: 'stopped', inflight: 0 },
      components: {},
    }),
  });
  console.error(`zviz: metrics and health on http://${host}:${port}`);
}

const program = new Command('zviz').version(VERSION).description('ZViz node agent');
program
  .command('agent')
  .description('run the agent: metrics and health server')
  .option('--addr <host:port>', 'listen address', process.env.ZVIZ_METRICS_ADDR ?? DEFAULT_ADDR)
  .action((opts: { addr: string }) => serve(opts.addr));

registerRun(program);
registerProfile(program);

program.parseAsync(process.argv).catch((error: Error) => {
  console.error(`zviz: ${error.message}`);
  process.exit(1);
});
