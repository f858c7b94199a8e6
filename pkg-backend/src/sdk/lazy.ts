// A plugin whose implementation loads after the handshake: Grafana waits for
// the handshake line, so everything the handshake does not need (Arrow,
// metrics, HTTP clients, the handlers) loads in the moment after it.
import type { BackendPlugin } from './types';

type Handler = Exclude<keyof BackendPlugin, 'prepare'>;

export function lazyPlugin(handlers: readonly Handler[], load: () => Promise<BackendPlugin>): BackendPlugin {
  let loaded: Promise<BackendPlugin> | undefined;
  const get = () => (loaded ??= load());
  const plugin: BackendPlugin = { prepare: () => void get() };
  for (const name of handlers) {
    // Every handler returns a promise, so waiting for the module first keeps its signature.
    (plugin as Record<string, unknown>)[name] = async (...args: unknown[]) => {
      const target = await get();
      return (target[name] as (...a: unknown[]) => unknown).apply(target, args);
    };
  }
  return plugin;
}
