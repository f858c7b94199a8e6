// Grafana's Diagnostics service: CheckHealth ("Save & test") and the
// plugin's own metrics (CollectMetrics).
import type { UntypedServiceImplementation } from '@grpc/grpc-js';

import { checkHealthMessage, pluginContextOf } from '../convert';
import type { BackendPlugin } from '../types';
import type { Handlers } from './calls';

export function diagnosticsService(plugin: BackendPlugin, h: Handlers): UntypedServiceImplementation {
  const diagnostics: UntypedServiceImplementation = {};
  if (plugin.checkHealth) {
    const checkHealth = plugin.checkHealth.bind(plugin);
    diagnostics.CheckHealth = h.unary('CheckHealth', async (request, context) =>
      checkHealthMessage(
        await checkHealth(
          { pluginContext: pluginContextOf(request.pluginContext), headers: request.headers ?? {} },
          context
        )
      )
    );
  }
  if (plugin.collectMetrics) {
    const collectMetrics = plugin.collectMetrics.bind(plugin);
    diagnostics.CollectMetrics = h.unary('CollectMetrics', async () => ({
      metrics: { prometheus: Buffer.from(await collectMetrics()) },
    }));
  }
  return diagnostics;
}
