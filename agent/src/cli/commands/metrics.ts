import { Option, type Command } from 'commander';

import { ProcessSource } from '../../metrics/process-source';
import { MetricsRegistry } from '../../metrics/registry';
import type { ExpositionFormat } from '../../metrics/render';
import { addrOption, configOption } from '../program';
import { loadOrRefuse, serve } from '../serve';

/**
 * `zviz metrics` prints the exposition of this process's own registry (build
 * info and process metrics) and exits: a quick way to check the build, the
 * catalog's format and the configured variant without a server. It does not
 * contact a running agent; read that one's /metrics.
 * `zviz metrics serve` runs the metrics, health and API server alone, without
 * the audit log or any other component.
 */
export function registerMetrics(program: Command): void {
  const metrics = program
    .command('metrics')
    .enablePositionalOptions()
    .description(
      "print this process's metrics exposition (build info, process metrics) and exit; it does not read a running agent (curl its /metrics for that)"
    )
    .addOption(configOption())
    .addOption(new Option('--format <format>', 'exposition format').choices(['text', 'openmetrics']).default('text'))
    .action(async (opts: { config?: string; format: ExpositionFormat }) => {
      const config = loadOrRefuse({ path: opts.config });
      const registry = new MetricsRegistry({ seriesLimit: config.metrics.max_series_per_family });
      const process_ = new ProcessSource({ variant: config.variant });
      registry.addSource(process_);
      const { body } = await registry.scrape(opts.format);
      process_.close();
      process.stdout.write(body);
    });

  metrics
    .command('serve')
    .description('serve /metrics, /health, /ready and the decision API without the other components')
    .addOption(configOption())
    .addOption(addrOption('listen address (default 127.0.0.1:9090, or $ZVIZ_METRICS_ADDR, or metrics.address)'))
    .action(async (opts: { config?: string; addr?: string }) => {
      process.exitCode = await serve({ ...opts, components: [] });
    });
}
