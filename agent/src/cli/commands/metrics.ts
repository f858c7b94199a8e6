import { systemError } from '@zviz/agent-client/http';
import { AGENT_PATHS } from '@zviz/shared/agent-api';
import { Option, type Command } from 'commander';

import { ProcessSource } from '../../metrics/process-source';
import { MetricsRegistry } from '../../metrics/registry';
import { CONTENT_TYPES, type ExpositionFormat } from '../../metrics/render';
import { CliExit, EXIT } from '../exit';
import { localAgent, type LocalAgent } from '../local-agent';
import { addrOption, configOption } from '../program';
import { loadOrRefuse, serve } from '../serve';

interface PrintOptions {
  config?: string;
  addr?: string;
  format: ExpositionFormat;
  local?: boolean;
}

/** How long `zviz metrics` waits for the agent's answer. */
const AGENT_TIMEOUT_MS = 5_000;

/**
 * The two commands of the monitoring guide (docs/metrics.md):
 * `zviz metrics serve` is the agent under the guide's name: the metrics
 * server with every component (broker, containers, cgroups, tracer, audit
 * log), so it serves every family of the guide, as `zviz agent` does.
 * `zviz metrics` prints this node's metrics: the running agent's exposition,
 * asked where the configuration says it listens (with its credentials, as
 * `zviz health` and `zviz top` do); with no agent answering, this process's
 * own, which has every family's HELP and TYPE but no broker, container or
 * tracer series, and says so on stderr.
 */
export function registerMetrics(program: Command): void {
  const metrics = program
    .command('metrics')
    .enablePositionalOptions()
    .description(
      "print this node's metrics: the running agent's exposition (at metrics.address, or --addr), or, when none answers, this process's own (HELP and TYPE of every family, no workload series)"
    )
    .addOption(configOption())
    .addOption(addrOption('agent address (default: metrics.address of the configuration)'))
    .addOption(new Option('--format <format>', 'exposition format').choices(['text', 'openmetrics']).default('text'))
    .option('--local', "print this process's exposition without asking the agent")
    .action(async (opts: PrintOptions) => {
      process.exitCode = await printMetrics(opts);
    });

  metrics
    .command('serve')
    .description(
      'serve /metrics, /health, /ready and the API with every component (broker, tracer, audit log): the agent, as `zviz agent` runs it'
    )
    .addOption(configOption())
    .addOption(addrOption('listen address (default 127.0.0.1:9090, or $ZVIZ_METRICS_ADDR, or metrics.address)'))
    .action(async (opts: { config?: string; addr?: string }) => {
      process.exitCode = await serve(opts);
    });
}

async function printMetrics(opts: PrintOptions): Promise<number> {
  const config = loadOrRefuse({ path: opts.config, flags: { 'metrics.address': opts.addr } });
  if (!opts.local) {
    let agent: LocalAgent;
    try {
      const basic =
        process.env.ZVIZ_AGENT_USER && process.env.ZVIZ_AGENT_PASSWORD
          ? { user: process.env.ZVIZ_AGENT_USER, password: process.env.ZVIZ_AGENT_PASSWORD }
          : undefined;
      agent = localAgent(config, { timeoutMs: AGENT_TIMEOUT_MS, basic });
    } catch (error) {
      throw new CliExit(EXIT.usage, `metrics.address: ${(error as Error).message}`);
    }
    const url = `${agent.baseUrl}${AGENT_PATHS.metrics}`;
    let answer: { status: number; body: string } | undefined;
    let unreachable: string | undefined;
    try {
      const response = await agent.client.get(AGENT_PATHS.metrics, CONTENT_TYPES[opts.format]);
      answer = { status: response.status, body: response.body.toString('utf8') };
    } catch (error) {
      const cause = systemError(error);
      unreachable = cause.code ?? cause.message;
    } finally {
      agent.close();
    }
    if (answer) {
      if (answer.status === 401 || answer.status === 403) {
        throw new CliExit(
          EXIT.unreachable,
          `${url} refused the credentials (HTTP ${answer.status}); pass --config with the agent's metrics.auth (basic auth: ZVIZ_AGENT_USER and ZVIZ_AGENT_PASSWORD)`
        );
      }
      if (answer.status !== 200) {
        throw new CliExit(
          EXIT.unreachable,
          `${url} answered HTTP ${answer.status}: ${answer.body.trim().slice(0, 200)}`
        );
      }
      process.stdout.write(answer.body);
      return EXIT.ok;
    }
    process.stderr.write(
      `zviz: no agent answers at ${url} (${unreachable}); printing this process's metrics: every family's HELP and TYPE, but no broker, container or tracer series (start the agent: zviz metrics serve)\n`
    );
  }
  const registry = new MetricsRegistry({ seriesLimit: config.metrics.max_series_per_family });
  const process_ = new ProcessSource({ variant: config.variant });
  registry.addSource(process_);
  const { body } = await registry.scrape(opts.format);
  process_.close();
  process.stdout.write(body);
  return EXIT.ok;
}
