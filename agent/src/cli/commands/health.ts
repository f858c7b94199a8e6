// `zviz health`: asks a running agent for /health. Exit code 0 when healthy,
// 1 when degraded or unhealthy, 2 on bad usage, 3 when the agent cannot be
// reached (refused, timed out, TLS failure, refused credentials, not an
// agent's answer).
import type { HealthReport } from '@zviz/shared/agent-api';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';

import { formatAddress, parseAddress } from '../../config/address';
import { MAX_PEM_FILE_BYTES } from '../../config/checks';
import { readRegularText } from '../../files/regular-file';
import { forTerminal, jsonForTerminal } from '../../terminal/escape';
import { CliExit, EXIT } from '../exit';
import { addrOption, configOption } from '../program';
import { loadOrRefuse } from '../serve';

interface HealthOptions {
  config?: string;
  addr?: string;
  timeout: number;
  json?: boolean;
  insecure?: boolean;
}

function seconds(value: string): number {
  const n = Number(value);
  if (!(n > 0 && n <= 300)) {
    throw new InvalidArgumentError('expected a number of seconds from 0 to 300, e.g. 5 or 0.5');
  }
  return n;
}

export function registerHealth(program: Command): void {
  program
    .command('health')
    .description(
      'query a running agent for /health; exit 0 healthy, 1 degraded or unhealthy, 2 bad usage, 3 unreachable'
    )
    .addOption(configOption())
    .addOption(addrOption('agent address (default: metrics.address of the configuration)'))
    .addOption(new Option('--timeout <seconds>', 'give up after this long').argParser(seconds).default(5))
    .option('--json', 'print the agent’s JSON as it came')
    .option('--insecure', 'with TLS, do not verify the agent’s certificate')
    .addHelpText(
      'after',
      '\nBasic auth: set ZVIZ_AGENT_USER and ZVIZ_AGENT_PASSWORD (the configuration holds only hashes).'
    )
    .action(async (opts: HealthOptions) => {
      process.exitCode = await checkHealth(opts);
    });
}

async function checkHealth(opts: HealthOptions): Promise<number> {
  const config = loadOrRefuse({ path: opts.config, flags: { 'metrics.address': opts.addr } });
  const parsed = parseAddress(config.metrics.address);
  if ('error' in parsed) {
    throw new CliExit(EXIT.usage, parsed.error);
  }
  // An agent bound to every interface is asked on loopback.
  const host = parsed.host === '0.0.0.0' ? '127.0.0.1' : parsed.host === '::' ? '::1' : parsed.host;
  const tls = config.metrics.tls;
  const url = `${tls ? 'https' : 'http'}://${formatAddress({ host, port: parsed.port })}/health`;
  const headers: Record<string, string> = { Accept: 'application/json' };
  // Credentials whenever there are some: without them, an agent with auth on
  // tells only the summary (status, version, uptime, counts).
  const auth = config.metrics.auth;
  const user = process.env.ZVIZ_AGENT_USER;
  const password = process.env.ZVIZ_AGENT_PASSWORD;
  if (auth.type === 'bearer' && auth.token) {
    headers.Authorization = `Bearer ${auth.token}`;
  } else if (auth.type === 'basic' && user && password) {
    headers.Authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  }

  let status: number;
  let body: string;
  try {
    ({ status, body } = await get(
      url,
      headers,
      opts.timeout * 1000,
      tls && !opts.insecure ? tls.cert_file : undefined,
      !!opts.insecure
    ));
  } catch (error) {
    throw new CliExit(EXIT.unreachable, `cannot reach the agent at ${url}: ${(error as Error).message}`);
  }
  if (status === 401 || status === 403) {
    throw new CliExit(EXIT.unreachable, `${url} refused the credentials (HTTP ${status})`);
  }
  let report: HealthReport;
  try {
    report = JSON.parse(body) as HealthReport;
    if (typeof report.status !== 'string') {
      throw new Error('no status field');
    }
  } catch {
    throw new CliExit(EXIT.unreachable, `${url} answered HTTP ${status} without a health report`);
  }
  // The report quotes what components say, which may quote a workload: escaped, never interpreted.
  process.stdout.write(opts.json ? `${jsonForTerminal(body.trimEnd())}\n` : describe(report));
  if (!opts.json && auth.type === 'basic' && !headers.Authorization) {
    process.stdout.write('  (reasons and details need credentials: set ZVIZ_AGENT_USER and ZVIZ_AGENT_PASSWORD)\n');
  }
  return report.status === 'healthy' ? EXIT.ok : EXIT.failure;
}

function describe(report: HealthReport): string {
  const lines = [
    `${report.status}: version ${report.version}, up ${report.uptime} s, ${report.containers} containers, ` +
      `broker ${report.broker.status} (${report.broker.inflight} in flight)`,
  ];
  for (const [name, component] of Object.entries(report.components ?? {})) {
    lines.push(`  ${name.padEnd(12)} ${component.status}${component.reason ? `: ${component.reason}` : ''}`);
  }
  return `${lines.map(forTerminal).join('\n')}\n`;
}

function get(
  url: string,
  headers: Record<string, string>,
  timeoutMs: number,
  caFile: string | undefined,
  insecure: boolean
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const options = {
      headers,
      timeout: timeoutMs,
      // A self-signed agent certificate is trusted as its own CA, next to the system's.
      ...(caFile ? { ca: [...rootCertificates, readRegularText(caFile, MAX_PEM_FILE_BYTES)] } : {}),
      ...(insecure ? { rejectUnauthorized: false } : {}),
    };
    const req = (url.startsWith('https:') ? httpsRequest : httpRequest)(url, options, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > 1024 * 1024) {
          req.destroy(new Error('answer larger than 1 MiB'));
        }
        chunks.push(chunk);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    req.on('error', reject);
    req.end();
  });
}
