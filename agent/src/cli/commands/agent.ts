import type { Command } from 'commander';

import { addrOption, configOption } from '../program';
import { serve } from '../serve';

export function registerAgent(program: Command): void {
  program
    .command('agent')
    .description(
      'run the agent: metrics, health and decision API server plus every component (audit log, and the broker and tracer where built); SIGHUP reloads the configuration, SIGTERM/SIGINT stop'
    )
    .addOption(configOption())
    .addOption(addrOption('listen address, overriding metrics.address and $ZVIZ_METRICS_ADDR'))
    .action(async (opts: { config?: string; addr?: string }) => {
      process.exitCode = await serve(opts);
    });
}
