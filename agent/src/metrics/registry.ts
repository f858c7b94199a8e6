import { Gauge, Registry } from 'prom-client';

import { VERSION, COMMIT } from '../version';

export interface Identity {
  variant: string;
}

export function createRegistry(identity: Identity): Registry {
  const registry = new Registry();
  new Gauge({
    name: 'zviz_build_info',
    help: 'Build and deployment of this agent; always 1. Join on it to split any series by variant.',
    labelNames: ['version', 'variant', 'commit'],
    registers: [registry],
  }).set({ version: VERSION, variant: identity.variant, commit: COMMIT }, 1);
  return registry;
}
