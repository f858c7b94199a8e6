// `zviz health`: asks a running agent for /health. Exit code 0 when healthy,
// 1 when degraded or unhealthy, 2 on bad usage, 3 when the agent cannot be
// reached (refused, timed out, TLS failure, refused credentials, not an
// agent's answer).
import { systemError } from '@zviz/agent-client/http';
import { AGENT_PATHS, type HealthReport } from '@zviz/shared/agent-api';
import { InvalidArgumentError, Option, type Command } from 'commander';

import { forTerminal, jsonForTerminal } from '../../terminal/escape';
import { CliExit, EXIT } from '../exit';
import { localAgent, type LocalAgent } from '../local-agent';
import { addrOption, configOption } from '../program';
import { loadOrRefuse } from '../serve';

/** Largest health report read (a report is a few KiB). */
const MAX_REPORT_BYTES = 1024 * 1024;

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
  // Credentials whenever there are some: without them, an agent with auth on
  // tells only the summary (status, version, uptime, counts).
  const auth = config.metrics.auth;
  const user = process.env.ZVIZ_AGENT_USER;
  const password = process.env.ZVIZ_AGENT_PASSWORD;
  const basic = auth.type === 'basic' && user && password ? { user, password } : undefined;
  let agent: LocalAgent;
  try {
    agent = localAgent(config, { timeoutMs: opts.timeout * 1000, insecure: opts.insecure, basic });
  } catch (error) {
    throw new CliExit(EXIT.usage, (error as Error).message);
  }
  const url = `${agent.baseUrl}${AGENT_PATHS.health}`;

  let status: number;
  let body: string;
  try {
    const response = await agent.client.get(AGENT_PATHS.health, 'application/json', {
      responseLimit: MAX_REPORT_BYTES,
    });
    status = response.status;
    body = response.body.toString('utf8');
  } catch (error) {
    throw new CliExit(EXIT.unreachable, `cannot reach the agent at ${url}: ${systemError(error).message}`);
  } finally {
    agent.close();
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
  if (!opts.json && auth.type === 'basic' && !basic) {
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
